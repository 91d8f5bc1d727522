"""What a minidump says about the machine, filled into a crash report's context where the upload did not say.

One helper for every crash path (POST /v1/crashes, Crashpad, Sentry's minidump endpoint and envelope
attachments): the upload's own values win; `unknown` / `0` / absent are filled from the dump's system info (OS,
OS version) and, for the app version, the main executable's file version (Windows dumps carry it).
Pure: no I/O; the values pass the redact stage like any other context value."""

from __future__ import annotations

import msgspec

from ingest.crash.minidump import MinidumpInfo
from ingest.crash.model import CrashReport
from ingest.stages.patterns import CONTEXT_VALUE

UNSAID = frozenset({"", "unknown", "0"})  # what front doors put in a context field the upload left out
NO_VERSION = "0.0.0.0"  # Breakpad on Linux and macOS writes a zeroed version block


def _said(value: str | None) -> bool:
    return value is not None and value.lower() not in UNSAID


def _ok(value: str | None) -> str | None:
    return value if value and CONTEXT_VALUE.ok(value) else None


def with_dump_context(report: CrashReport, dump: MinidumpInfo | None) -> CrashReport:
    """The report with its OS, OS version and app version taken from the dump when it did not give them."""
    if dump is None or not dump.ok:
        return report
    context = report.context
    changes: dict[str, str] = {}
    if not _said(context.os) and (os := _ok(dump.os)):
        changes["os"] = os
    same_os = changes.get("os", context.os) == dump.os
    if not _said(context.os_version) and same_os and (version := _ok(dump.os_version)):
        changes["os_version"] = version
    main = dump.modules[0].version if dump.modules else None
    if not _said(context.app_version) and main != NO_VERSION and (app_version := _ok(main)):
        changes["app_version"] = app_version
    if not changes:
        return report
    return msgspec.structs.replace(report, context=msgspec.structs.replace(context, **changes))
