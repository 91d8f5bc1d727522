"""POST /v1/crashes: native crash uploads (`report` + `minidump` + `attachment` parts) and Crashpad / Breakpad
uploads (Electron's crashReporter: `upload_file_minidump` + string annotations), both decoded into one CrashUpload."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

import msgspec
from aiohttp import web

from ingest.crash.model import CRASHPAD_DUMP, Attachment, CrashUpload, Minidump
from ingest.crash.multipart import Part, PartLimit, PartLimits
from ingest.errors import Refusal
from ingest.settings import CrashLimitSettings
from ingest.stages.decode import discard_parts, json_value, part_dump, read_form
from ingest.stages.pipeline import accept_crash, admit
from ingest.state import INTAKE
from storage.objects import StagedObject

# The annotation a Crashpad / Electron client sets to record the user's per-report choice, e.g.
# crashReporter.start({submitURL, globalExtra: {consent_crash_report: "granted"}}) after asking the user.
CRASHPAD_CONSENT = "consent_crash_report"
CRASHPAD_CRASH_ID = "consentry_crash_id"  # optional; else the id is derived from the dump (retries dedup)
# Annotations copied into `extra` (then redacted); every other annotation is dropped unread.
CRASHPAD_EXTRA = ("process_type", "ptype", "platform", "plat", "channel", "prod", "ver")
_PLATFORMS = {"darwin": "macos", "win32": "windows", "linux": "linux", "mac": "macos", "win": "windows"}
DUMP_PARTS = ("minidump", CRASHPAD_DUMP)  # native and Crashpad uploads carry the dump in these
_CRASH_ID_NAMESPACE = uuid.UUID("5f0c3c2e-6a0e-4f52-9a59-0f6d0c0b7a11")


ANNOTATION_BYTES = 1024  # a Crashpad annotation longer than this is not read (nor kept in memory)


def crash_part_limits(limits: CrashLimitSettings) -> PartLimits:
    """Each part's size cap while the form is read: the parts this door reads are refused (413) past their
    `crash_limits.*`; any other part is dropped past ANNOTATION_BYTES, as it would not be read anyway."""
    named = {"report": PartLimit(limits.max_report_bytes), "attachment": PartLimit(limits.max_attachment_bytes)}
    dump = PartLimit(limits.max_minidump_bytes, stream=True)  # to the object store as it arrives
    named |= {name: dump for name in DUMP_PARTS}
    other = PartLimit(ANNOTATION_BYTES, drop=True)

    def limit(name: str, is_file: bool) -> PartLimit:
        return named.get(name, other)

    return limit


def _dump(parts: Sequence[Part], name: str, limit: int) -> Minidump | None:
    """The minidump part: staged in the object store as it arrived, or in memory (a body small and unusual
    enough for the stdlib parser); an empty one is no dump."""
    found = [p for p in parts if p.name == name]
    if len(found) > 1:
        raise Refusal("malformed_body", "more than one minidump part")
    if not found:
        return None
    if found[0].staged is not None:
        return part_dump(found[0])
    return _only(found, name, limit, "minidump")


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
    value = json_value(report, "the report part")
    if not isinstance(value, dict):
        raise Refusal("malformed_body", "the report part must be a JSON object")
    minidump = _dump(parts, "minidump", limits.max_minidump_bytes)
    return CrashUpload("native", value, minidump, _attachments(parts, limits))


def _text(part: Part) -> str:
    return part.data.decode("utf-8", errors="replace")


def decode_crashpad(parts: Sequence[Part], limits: CrashLimitSettings) -> CrashUpload:
    dump = _dump(parts, CRASHPAD_DUMP, limits.max_minidump_bytes) or b""
    notes = {p.name: _text(p) for p in parts if not p.is_file and not p.dropped and len(p.data) <= ANNOTATION_BYTES}
    guid = notes.get("guid", "")
    try:
        install_id = str(uuid.UUID(guid))
    except ValueError:
        install_id = guid  # refused by validation, after the consent check
    digest = dump.sha256() if isinstance(dump, StagedObject) else hashlib.sha256(dump).hexdigest()
    crash_id = notes.get(CRASHPAD_CRASH_ID) or str(uuid.uuid5(_CRASH_ID_NAMESPACE, digest))
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


async def post_crash(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    limits = intake.crash_limits
    admit(intake, request.remote)
    parts = await read_form(request, limits.max_upload_bytes, crash_part_limits(limits), intake.objects.stage)
    try:
        upload = decode_crash(parts, limits)
        crashpad = upload.source == "crashpad"
        report, clean = await accept_crash(intake, upload, dump_names_exception=crashpad)       # consent → … → spool
    finally:
        discard_parts(parts)  # a refused upload's staged dump; nothing once the dump is committed
    if crashpad:  # Crashpad reads the response body as the report id
        return web.Response(status=200, text=str(report.crash_id))
    answer = CrashAccepted(str(report.crash_id), clean.fingerprint, dict(clean.findings))
    return web.Response(status=202, body=msgspec.json.encode(answer), content_type="application/json")
