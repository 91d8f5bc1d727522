"""The pipeline every front door calls: admit → consent → validate → redact → spool, for events and crashes.

A front door decodes its wire format into a Decoded event batch or a CrashUpload and hands it here with the one
Intake value the app built; no stage after decoding is written twice, and no front door calls another."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from ingest.consent.blocklist import Blocklist
from ingest.consent.registry import ConsentRegistry
from ingest.consent.request import check_consent
from ingest.crash.minidump import MinidumpInfo, parse_minidump
from ingest.crash.model import CrashReport, CrashUpload, Minidump
from ingest.durable.records import SpoolBatch, SpoolCrash
from ingest.durable.spool import SpoolAppender
from ingest.errors import Refusal
from ingest.metrics import Metrics
from ingest.model import Decoded, EventBatch
from ingest.ratelimit import RateLimiter
from ingest.settings import ConsentScope, CrashLimitSettings, LimitSettings
from ingest.stages.derive import with_dump_context
from ingest.stages.objects import StoredObjects, crash_prefix, put_objects, remove
from ingest.stages.redact import RedactedBatch, redact_batch
from ingest.stages.redact_crash import DeepBudget, RedactedCrash, redact_crash
from ingest.stages.unpack import unpack_dump, unpack_staged
from ingest.stages.validate import validate_batch, validate_crash
from redact import Redactor
from redact.version import REDACTION_VERSION
from storage.objects import ObjectStore, StagedObject
from storage.rows import CrashRow


@dataclass(frozen=True)
class Intake:
    """What intake needs, built once in create_app; the spool and the object store open when the app starts."""

    limits: LimitSettings
    crash_limits: CrashLimitSettings
    client_limiter: RateLimiter
    install_limiter: RateLimiter
    blocklist: Blocklist
    registry: ConsentRegistry
    redactor: Redactor
    spool: SpoolAppender
    objects: ObjectStore
    metrics: Metrics


def admit(intake: Intake, remote: str | None) -> None:
    """Cheap refusals before a body is read: back-pressure, then the client's rate."""
    if reason := intake.spool.full_reason():
        raise Refusal("spool_full", reason)
    intake.client_limiter.check(remote or "unknown")


def _admit_install(intake: Intake, install_id: uuid.UUID, scope: ConsentScope) -> None:
    """The install's rate, then what it recorded: a deletion request (block list), a denial (registry)."""
    intake.install_limiter.check(str(install_id))
    intake.blocklist.check(install_id)
    intake.registry.check(install_id, scope)


def _counted(metrics: Metrics, rows: int, findings: Mapping[str, int]) -> None:
    metrics.events_accepted.inc(rows)
    metrics.batch_events.observe(rows)
    for rule, count in findings.items():
        metrics.redactions.labels(rule).inc(count)


async def accept_events(intake: Intake, decoded: Decoded, now: datetime) -> RedactedBatch:
    """One install's event batch: stored (spooled, fsync'd) and counted, or refused with nothing written."""
    check_consent(decoded, "telemetry")                                            # consent (the request)
    batch = validate_batch(decoded, intake.limits, now)                            # validate
    _admit_install(intake, batch.install_id, "telemetry")                          # consent (the install)
    redacted = redact_batch(batch, intake.redactor, received_at=now)               # redact
    await intake.spool.append(SpoolBatch.of(batch.install_id, redacted.rows, now.timestamp()))  # spool (fsync)
    _counted(intake.metrics, len(redacted.rows), redacted.findings)
    return redacted


async def accept_installs(intake: Intake, batches: Mapping[uuid.UUID, list[EventBatch]],
                          now: datetime) -> set[uuid.UUID]:
    """Several installs' events in one request (PostHog), consent already decided per event by the caller; each
    install's batches become one spool record. Every install's rate is checked before anything is spooled, so a
    429 never leaves a partial write. Returns the installs left out because they asked for deletion: their SDK
    is answered "dropped", not refused."""
    for install_id in batches:
        intake.install_limiter.check(str(install_id))
    withdrawn = {install_id for install_id in batches if intake.blocklist.withdrawn(install_id)}
    records: list[SpoolBatch] = []
    findings: Counter[str] = Counter()
    for install_id, kept in batches.items():
        if install_id in withdrawn:
            continue
        rows = []
        for batch in kept:
            redacted = redact_batch(validate_batch(Decoded(batch=batch), intake.limits, now), intake.redactor,
                                    received_at=now)
            rows.extend(redacted.rows)
            findings.update(redacted.findings)
        records.append(SpoolBatch.of(install_id, rows, now.timestamp()))
    await asyncio.gather(*(intake.spool.append(record) for record in records))  # one fsync group
    if stored := sum(record.count for record in records):
        _counted(intake.metrics, stored, findings)
    return withdrawn


async def accept_crash(intake: Intake, upload: CrashUpload, *, dump_names_exception: bool = False,
                       findings: Mapping[str, int] | None = None,
                       budget: DeepBudget | None = None) -> tuple[CrashReport, RedactedCrash]:
    """One crash report: its objects stored and its row spooled (fsync'd) and counted, or refused with nothing
    left behind.

    `dump_names_exception`: a parsed minidump's exception name replaces the report's exception type (uploads
    without an exception of their own). `findings`: counts the front door adds to the row's redactions.
    `budget`: the request's deep-tier budget, shared by the crashes of one request (default: this crash's own)."""
    check_consent(upload.report, "crash_report")                                               # consent (request)
    # gzip / zstd / bzip2 / xz dumps, as Relay accepts them (a staged dump: on the worker thread, below)
    if isinstance(upload.minidump, bytes) and upload.minidump:
        upload = msgspec.structs.replace(upload, minidump=unpack_dump(upload.minidump,
                                                                      intake.crash_limits.max_minidump_bytes))
    now = datetime.now(UTC)
    report = validate_crash(upload.report, intake.crash_limits, intake.limits, now)           # validate
    _admit_install(intake, report.install_id, "crash_report")                                 # consent (install)
    when = report.ts or now
    budget = budget or DeepBudget(intake.crash_limits.deep_chars_per_request)
    skipped = budget.skipped
    dump, clean, stored = await asyncio.to_thread(                                              # minidump, redact,
        _dump_redact_store, upload, report, intake, crash_prefix(report.crash_id, when),
        dump_names_exception, budget)                                                           # objects
    if budget.skipped > skipped:
        intake.metrics.deep_tier_skipped.inc(budget.skipped - skipped)
    if findings:
        clean.findings.update(findings)
    try:
        await intake.spool.append(SpoolCrash(_crash_row(report, upload, dump, clean, stored, when, now)))  # spool
    except BaseException:
        await asyncio.to_thread(remove, intake.objects, stored.keys())
        raise
    intake.metrics.crashes_accepted.labels(upload.source).inc()
    for rule, count in clean.findings.items():
        intake.metrics.redactions.labels(rule).inc(count)
    return report, clean


def _dump_redact_store(upload: CrashUpload, report: CrashReport, intake: Intake, prefix: str,
                       dump_names_exception: bool,
                       budget: DeepBudget) -> tuple[MinidumpInfo | None, RedactedCrash, StoredObjects]:
    """The CPU-heavy and blocking steps in one worker-thread hop: minidump, redact, objects. A staged dump is
    decompressed here if it came compressed, read where it lies (mapped: the streams the stages use), and
    committed under its key with the other objects."""
    minidump = upload.minidump
    if not isinstance(minidump, StagedObject):
        return _redact_store(upload, report, intake, prefix, dump_names_exception, budget,
                             parse_minidump(minidump, ids=False) if minidump else None, minidump)
    unpacked = unpack_staged(minidump, intake.crash_limits.max_minidump_bytes, intake.objects.stage)
    try:
        with unpacked.mapped() as view:
            dump = parse_minidump(view, ids=False)
        return _redact_store(upload, report, intake, prefix, dump_names_exception, budget, dump, unpacked)
    finally:
        if unpacked is not minidump:
            unpacked.discard()  # nothing once committed; the caller discards what was uploaded


def _redact_store(upload: CrashUpload, report: CrashReport, intake: Intake, prefix: str,
                  dump_names_exception: bool, budget: DeepBudget, dump: MinidumpInfo | None,
                  minidump: Minidump | None) -> tuple[MinidumpInfo | None, RedactedCrash, StoredObjects]:
    kind = dump.exception_name if dump_names_exception and dump and dump.exception_name else None
    report = with_dump_context(report, dump)  # OS, OS version, app version the upload did not give
    clean = redact_crash(report, dump, upload.attachments, intake.redactor,
                         exception_type=kind or report.exception.type, budget=budget)
    return dump, clean, put_objects(intake.objects, prefix, minidump, clean.attachments)


def _crash_row(report: CrashReport, upload: CrashUpload, dump: MinidumpInfo | None, clean: RedactedCrash,
               stored: StoredObjects, when: datetime, now: datetime) -> CrashRow:
    context = clean.context  # redacted
    return CrashRow(
        crash_id=report.crash_id, install_id=report.install_id, ts=when, received_at=now, source=upload.source,
        app=context["app"], app_version=context["app_version"], os=context["os"], os_version=context["os_version"],
        device_type=context["device_type"], policy_version=context["policy_version"],
        fingerprint=clean.fingerprint, exception_type=clean.exception_type,
        exception_message=clean.exception_message, frames=clean.frames, breadcrumbs=clean.breadcrumbs,
        extra=clean.extra, minidump_key=stored.minidump_key, minidump_size=stored.minidump_size,
        minidump_sha256=stored.minidump_sha256, minidump_parsed=bool(dump and dump.ok),
        minidump_error=(dump.error or "") if dump else "",
        dump_exception_code=dump.exception_code if dump else None,
        dump_exception_name=(dump.exception_name or "") if dump else "", dump_os=(dump.os or "") if dump else "",
        dump_cpu_arch=(dump.cpu_arch or "") if dump else "", dump_modules=clean.dump_modules,
        attachment_keys=stored.attachment_keys, attachment_sizes=stored.attachment_sizes,
        redactions=dict(clean.findings), redaction_version=REDACTION_VERSION,
    )
