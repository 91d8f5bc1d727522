"""with_dump_context: what the dump says fills what the upload left out, never more."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from ingest.crash.derive import with_dump_context
from ingest.crash.minidump import MinidumpInfo, ModuleInfo
from ingest.crash.model import CrashReport

DUMP = MinidumpInfo(ok=True, os="windows", os_version="10.0.22621", cpu_arch="amd64",
                    modules=[ModuleInfo("C:\\app\\app.exe", 0, 1, version="2.4.1.7")])


def report(**context: str) -> CrashReport:
    return msgspec.convert({"crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()),
                            "consent": {"crash_report": "granted"}, "exception": {"type": "NativeCrash"},
                            "context": {"app": "app", **context}}, CrashReport)


@pytest.mark.parametrize(("sent", "kept"), [
    ({"app_version": "0", "os": "unknown"}, ("2.4.1.7", "windows", "10.0.22621")),
    ({"app_version": "1.2", "os": "windows"}, ("1.2", "windows", "10.0.22621")),
    ({"app_version": "1.2", "os": "windows", "os_version": "11"}, ("1.2", "windows", "11")),
    ({"app_version": "unknown", "os": "linux"}, ("2.4.1.7", "linux", None)),  # another OS: not its version
])
def test_the_upload_wins_and_the_dump_fills_the_rest(sent: dict[str, str], kept: tuple[str, str, str | None]) -> None:
    context = with_dump_context(report(**sent), DUMP).context
    assert (context.app_version, context.os, context.os_version) == kept


def test_unparsed_dumps_and_zeroed_versions_say_nothing() -> None:
    sent = report(app_version="0", os="unknown")
    assert with_dump_context(sent, MinidumpInfo(ok=False, error="bad_signature")) is sent
    zeroed = msgspec.structs.replace(DUMP, modules=[ModuleInfo("/usr/bin/app", 0, 1, version="0.0.0.0")])
    assert with_dump_context(sent, zeroed).context.app_version == "0"
