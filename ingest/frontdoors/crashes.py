"""POST /v1/crashes: native crash uploads (`report` + `minidump` + `attachment` parts) and Crashpad / Breakpad
uploads (Electron's crashReporter: `upload_file_minidump` + string annotations), both decoded into one CrashUpload."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import msgspec
from aiohttp import web

from ingest.consent.request import check_consent
from ingest.crash.minidump import MinidumpInfo, parse_minidump
from ingest.crash.model import CRASHPAD_DUMP, Attachment, CrashReport, CrashUpload
from ingest.crash.multipart import Part, parse_form
from ingest.durable.records import SpoolCrash
from ingest.errors import Refusal
from ingest.settings import CrashLimitSettings
from ingest.stages.decode import decompress, read_body
from ingest.stages.objects import StoredObjects, crash_prefix, remove, store_objects
from ingest.stages.redact_crash import RedactedCrash, redact_crash
from ingest.stages.validate import validate_crash
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
from storage.rows import CrashRow

# The annotation a Crashpad / Electron client sets to record the user's per-report choice, e.g.
# crashReporter.start({submitURL, globalExtra: {consent_crash_report: "granted"}}) after asking the user.
CRASHPAD_CONSENT = "consent_crash_report"
CRASHPAD_CRASH_ID = "consentry_crash_id"  # optional; else the id is derived from the dump (retries dedup)
# Annotations copied into `extra` (then redacted); every other annotation is dropped unread.
CRASHPAD_EXTRA = ("process_type", "ptype", "platform", "plat", "channel", "prod", "ver")
_PLATFORMS = {"darwin": "macos", "win32": "windows", "linux": "linux", "mac": "macos", "win": "windows"}
_CRASH_ID_NAMESPACE = uuid.UUID("5f0c3c2e-6a0e-4f52-9a59-0f6d0c0b7a11")


def _only(parts: Sequence[Part], name: str, limit: int, what: str) -> bytes | None:
    found = [p for p in parts if p.name == name]
    if len(found) > 1:
        raise Refusal("malformed_body", f"more than one {what} part")
    if found and len(found[0].data) > limit:
        raise Refusal("part_too_large", f"the {what} is {len(found[0].data)} bytes, over {limit}")
    return found[0].data if found else None


def _attachments(parts: Sequence[Part], limits: CrashLimitSettings) -> list[Attachment]:
    found = [p for p in parts if p.name == "attachment"]
    if len(found) > limits.max_attachments:
        raise Refusal("too_many_attachments", f"{len(found)} attachments, over {limits.max_attachments}")
    result = []
    for index, part in enumerate(found):
        if len(part.data) > limits.max_attachment_bytes:
            raise Refusal("part_too_large", f"attachment {index} is over {limits.max_attachment_bytes} bytes")
        try:
            result.append(Attachment(part.data.decode("utf-8")))
        except UnicodeDecodeError:
            raise Refusal("invalid_field", f"attachment {index} is not UTF-8 text") from None
    return result


def decode_native(parts: Sequence[Part], limits: CrashLimitSettings) -> CrashUpload:
    report = _only(parts, "report", limits.max_report_bytes, "report")
    if report is None:
        raise Refusal("malformed_body", "a `report` part (JSON) is required")
    try:
        value = msgspec.json.decode(report)
    except msgspec.DecodeError as exc:
        raise Refusal("malformed_body", f"the report part is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Refusal("malformed_body", "the report part must be a JSON object")
    minidump = _only(parts, "minidump", limits.max_minidump_bytes, "minidump")
    return CrashUpload("native", value, minidump, _attachments(parts, limits))


def _text(part: Part) -> str:
    return part.data.decode("utf-8", errors="replace")


def decode_crashpad(parts: Sequence[Part], limits: CrashLimitSettings) -> CrashUpload:
    dump = _only(parts, CRASHPAD_DUMP, limits.max_minidump_bytes, "minidump") or b""
    notes = {p.name: _text(p) for p in parts if not p.is_file and len(p.data) <= 1024}
    guid = notes.get("guid", "")
    try:
        install_id = str(uuid.UUID(guid))
    except ValueError:
        install_id = guid  # refused by validation, after the consent check
    crash_id = notes.get(CRASHPAD_CRASH_ID) or str(uuid.uuid5(_CRASH_ID_NAMESPACE, hashlib.sha256(dump).hexdigest()))
    report: dict[str, object] = {
        "crash_id": crash_id,
        "install_id": install_id,
        "consent": {"crash_report": notes.get(CRASHPAD_CONSENT)},
        "context": {
            "app": notes.get("_productName") or notes.get("prod") or "unknown",
            "app_version": notes.get("_version") or notes.get("ver") or "0",
            "os": _PLATFORMS.get(notes.get("platform", "").lower(), "unknown"),
        },
        "exception": {"type": "NativeCrash"},  # the minidump's exception code replaces it once parsed
        "extra": {key: notes[key] for key in CRASHPAD_EXTRA if key in notes},
    }
    return CrashUpload("crashpad", report, dump, _attachments(parts, limits))


def decode_crash(parts: Sequence[Part], limits: CrashLimitSettings) -> CrashUpload:
    if any(p.name == CRASHPAD_DUMP for p in parts):
        return decode_crashpad(parts, limits)
    return decode_native(parts, limits)


class CrashAccepted(msgspec.Struct, frozen=True):
    crash_id: str
    group_id: str
    redactions: dict[str, int]


def _row(report: CrashReport, upload: CrashUpload, dump: MinidumpInfo | None, clean: RedactedCrash,
         stored: StoredObjects, when: datetime, now: datetime) -> CrashRow:
    context = report.context
    return CrashRow(
        crash_id=report.crash_id, install_id=report.install_id, ts=when, received_at=now, source=upload.source,
        app=context.app, app_version=context.app_version, os=context.os, os_version=context.os_version or "",
        device_type=context.device_type or "", policy_version=report.consent.policy_version or "",
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
    dump = parse_minidump(upload.minidump) if upload.minidump else None
    kind = dump.exception_name if dump_names_exception and dump and dump.exception_name else None
    clean = await asyncio.to_thread(redact_crash, report, dump, upload.attachments, app[REDACTOR],
                                    exception_type=kind or report.exception.type)              # redact
    if findings:
        clean.findings.update(findings)
    when = report.ts or now
    stored = await store_objects(app[OBJECTS], crash_prefix(report.crash_id, when), upload.minidump,
                                 clean.attachments)                                             # objects
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
