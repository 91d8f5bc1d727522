"""POST /v1/crashes: native crash uploads and Crashpad / Breakpad uploads (Electron's crashReporter)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec
from aiohttp import web

from ingest.crash.decode import decode_crash
from ingest.crash.minidump import MinidumpInfo, parse_minidump
from ingest.crash.model import CrashReport, CrashUpload
from ingest.crash.multipart import parse_form
from ingest.crash.objects import StoredObjects, crash_prefix, put_objects, remove
from ingest.crash.validate import validate_crash
from ingest.durable.records import SpoolCrash
from ingest.errors import Refusal
from ingest.stages.consent import check_consent
from ingest.stages.decode import decompress, read_body
from ingest.stages.redact_crash import RedactedCrash, redact_crash
from ingest.state import (
    BLOCKLIST,
    CLIENT_LIMITER,
    CONSENT_REGISTRY,
    INSTALL_LIMITER,
    METRICS,
    OBJECTS,
    REDACTOR,
    SETTINGS,
    SPOOL,
)
from redact import Redactor
from storage.objects import ObjectStore
from storage.rows import CrashRow


class CrashAccepted(msgspec.Struct, frozen=True):
    crash_id: str
    group_id: str
    redactions: dict[str, int]


def _row(report: CrashReport, upload: CrashUpload, dump: MinidumpInfo | None, clean: RedactedCrash,
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
        redactions=dict(clean.findings),
    )


def _dump_redact_store(upload: CrashUpload, report: CrashReport, redactor: Redactor, store: ObjectStore, prefix: str,
                       dump_names_exception: bool) -> tuple[MinidumpInfo | None, RedactedCrash, StoredObjects]:
    """The CPU-heavy and blocking steps, one worker-thread hop for all: minidump, redact, objects."""
    dump = parse_minidump(upload.minidump) if upload.minidump else None
    kind = dump.exception_name if dump_names_exception and dump and dump.exception_name else None
    clean = redact_crash(report, dump, upload.attachments, redactor, exception_type=kind or report.exception.type)
    return dump, clean, put_objects(store, prefix, upload.minidump, clean.attachments)


async def accept_crash(app: web.Application, upload: CrashUpload, *, dump_names_exception: bool = False,
                       findings: Mapping[str, int] | None = None) -> tuple[CrashReport, RedactedCrash]:
    """What every crash front door does once a report is decoded and its consent decided: validate, rate-limit
    the install, block list, consent registry, minidump, redact, objects, spool (fsync), metrics.

    `dump_names_exception`: a parsed minidump's exception name replaces the report's exception type (uploads
    without an exception of their own). `findings`: counts the front door adds to the row's redactions."""
    settings, metrics = app[SETTINGS], app[METRICS]
    now = datetime.now(UTC)
    report = validate_crash(upload.report, settings.crash_limits, settings.limits, now)         # validate
    app[INSTALL_LIMITER].check(str(report.install_id))
    app[BLOCKLIST].check(report.install_id)
    app[CONSENT_REGISTRY].check(report.install_id, "crash_report")
    when = report.ts or now
    dump, clean, stored = await asyncio.to_thread(                                              # minidump, redact,
        _dump_redact_store, upload, report, app[REDACTOR], app[OBJECTS], crash_prefix(report.crash_id, when),
        dump_names_exception)                                                                   # objects
    if findings:
        clean.findings.update(findings)
    try:
        await app[SPOOL].append(SpoolCrash(_row(report, upload, dump, clean, stored, when, now)))  # spool
    except BaseException:
        await asyncio.to_thread(remove, app[OBJECTS], stored.keys())
        raise
    metrics.crashes_accepted.labels(upload.source).inc()                                        # ack
    for rule, count in clean.findings.items():
        metrics.redactions.labels(rule).inc(count)
    return report, clean


async def post_crash(request: web.Request) -> web.Response:
    app = request.app
    limits = app[SETTINGS].crash_limits
    if reason := app[SPOOL].full_reason():
        raise Refusal("spool_full", reason)
    app[CLIENT_LIMITER].check(request.remote or "unknown")
    body = await read_body(request, limits.max_upload_bytes)
    plain = decompress(body, request.headers.get("Content-Encoding"), limits.max_upload_bytes)
    upload = decode_crash(parse_form(plain, request.headers.get("Content-Type", "")), limits)   # decode
    check_consent(upload.report, "crash_report")                                                 # consent
    report, clean = await accept_crash(app, upload, dump_names_exception=upload.source == "crashpad")
    if upload.source == "crashpad":  # Crashpad reads the response body as the report id
        return web.Response(status=200, text=str(report.crash_id))
    answer = CrashAccepted(str(report.crash_id), clean.fingerprint, dict(clean.findings))
    return web.Response(status=202, body=msgspec.json.encode(answer), content_type="application/json")
