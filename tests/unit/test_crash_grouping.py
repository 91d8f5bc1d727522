"""Crash fingerprints: the same crash from different users, paths and lines groups; different crashes don't."""

from __future__ import annotations

import uuid

import msgspec

from ingest.crash.fingerprint import fingerprint, normalise_message
from ingest.crash.minidump import MinidumpInfo, ModuleInfo
from ingest.crash.model import CrashReport
from ingest.stages.redact_crash import redact_crash
from redact import Redactor
from storage.rows import FrameRow

REDACTOR = Redactor()


def crash(user: str, root: str, line: int, function: str = "open_document", kind: str = "KeyError",
          message: str = "'theme'") -> CrashReport:
    frames = [
        {"function": function, "module": "interpreter.docs", "file": f"{root}/{user}/app/interpreter/docs.py",
         "line": line, "in_app": True},
        {"function": "main", "module": "interpreter.cli", "file": f"{root}/{user}/app/interpreter/cli.py",
         "line": line + 7, "in_app": True},
        {"function": "send", "module": "httpx._client",
         "file": f"{root}/{user}/.venv/lib/python3.11/site-packages/httpx/_client.py", "line": 900},
    ]
    return msgspec.convert({
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()), "consent": {"crash_report": "granted"},
        "context": {"app": "interpreter", "app_version": "1.0", "os": "linux"},
        "exception": {"type": kind, "message": f"{message} at /home/{user}/notes/{user}-plan.txt"},
        "threads": [{"crashed": True, "frames": frames}],
    }, CrashReport)


def group(report: CrashReport) -> str:
    return redact_crash(report, None, [], REDACTOR, exception_type=report.exception.type).fingerprint


def test_same_crash_from_different_users_paths_and_lines_groups_together() -> None:
    groups = {group(crash("alice", "/home", 42)), group(crash("Bob Smith", "/Users", 57)),
              group(crash("j.doe", "/home", 1))}
    assert len(groups) == 1


def test_different_crashes_do_not_group() -> None:
    base = group(crash("alice", "/home", 42))
    assert group(crash("alice", "/home", 42, function="save_document")) != base
    assert group(crash("alice", "/home", 42, kind="TypeError")) != base


def test_message_fallback_normalises_variable_parts() -> None:
    a = fingerprint("ValueError", "bad size 123 at 0x7ffd5e8a for 'a.txt' id 0b1c2d3e-1111-4111-8111-111111111111", [])
    b = fingerprint("ValueError", "bad size 9 at 0xdeadbeef for 'b.txt' id 7f1c2d3e-2222-4222-8222-222222222222", [])
    assert a == b
    assert fingerprint("ValueError", "bad size", []) != fingerprint("ValueError", "other failure", [])
    assert normalise_message("x=12 y=0xff 'q'") == "x=<n> y=<hex> <str>"


def test_out_of_app_frames_are_used_only_without_in_app_ones() -> None:
    lib = FrameRow("httpx._client", "send", "", 1, False)
    app = FrameRow("interpreter.docs", "open", "", 2, True)
    assert fingerprint("E", "", [lib, app]) == fingerprint("E", "", [app])
    assert fingerprint("E", "", [lib]) != fingerprint("E", "", [app])
    assert fingerprint("E", "", [FrameRow("m", "f +0x1a", "", 1, True)]) == fingerprint("E", "", [
        FrameRow("m", "f", "", 9, True)])


def test_crashpad_dump_groups_by_faulting_module() -> None:
    modules = [ModuleInfo("C:\\Users\\Bob\\AppData\\Local\\interpreter\\interpreter.exe", 0x1000, 0x1000),
               ModuleInfo("C:\\Windows\\System32\\ntdll.dll", 0x10000, 0x1000)]
    dump = MinidumpInfo(ok=True, exception_name="EXCEPTION_ACCESS_VIOLATION", crash_address=0x10010, modules=modules)
    report = msgspec.convert({"crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()),
                              "consent": {"crash_report": "granted"}, "exception": {"type": "NativeCrash"},
                              "context": {"app": "interpreter", "app_version": "1.0", "os": "windows"}}, CrashReport)
    clean = redact_crash(report, dump, [], REDACTOR, exception_type="EXCEPTION_ACCESS_VIOLATION")
    assert [(f.module, f.function) for f in clean.frames] == [("ntdll.dll", "<unknown>")]
    assert all("Bob" not in m for m in clean.dump_modules)
