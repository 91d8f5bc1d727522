"""Crash reports: built from an exception (or a faulthandler dump) on the app's machine, redacted, kept on disk
as pending until the app asks the user, sent only by `PendingCrash.send()`."""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import sysconfig
import traceback
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from consentry_client import _limits
from consentry_client._redaction import Scrubber

FrameTuple = tuple[str, str, str, int]  # module, function, file, line

_LIBRARY_ROOTS = tuple(sorted({os.path.normcase(os.path.realpath(p)) for p in (
    sysconfig.get_paths().get(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")) if p}))


def _in_app(file: str) -> bool:
    if not file or file.startswith("<"):
        return False
    path = os.path.normcase(os.path.realpath(file))
    return not path.startswith(_LIBRARY_ROOTS) and "site-packages" not in path and "dist-packages" not in path


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(kind: type) -> str:
    module = getattr(kind, "__module__", "") or ""
    name = getattr(kind, "__qualname__", kind.__name__)
    return name if module in ("builtins", "__main__", "") else f"{module}.{name}"


def frames_from_traceback(tb: TracebackType | None) -> list[FrameTuple]:
    """Innermost frame first, as the collector wants them."""
    out: list[FrameTuple] = []
    for frame, line in traceback.walk_tb(tb):
        code = frame.f_code
        module = str(frame.f_globals.get("__name__", "") or "")
        out.append((module, getattr(code, "co_qualname", code.co_name), code.co_filename, int(line or 0)))
    out.reverse()
    return out


_FAULT_HEADER = re.compile(r"^Fatal Python error: (?P<what>.+)$", re.M)
_FAULT_FRAME = re.compile(r'^\s+File "(?P<file>[^"]*)", line (?P<line>\d+) in (?P<function>\S+)', re.M)


def frames_from_faulthandler(text: str) -> tuple[str, list[FrameTuple]]:
    """The fatal error and the first (current) thread's frames from faulthandler's output, innermost first."""
    header = _FAULT_HEADER.search(text)
    what = header.group("what").strip() if header else "fatal error"
    block = text.split("\n\n")
    current = next((b for b in block if "most recent call first" in b), text)
    frames = [("", m.group("function"), m.group("file"), int(m.group("line"))) for m in _FAULT_FRAME.finditer(current)]
    return what, frames


def build_report(*, install_id: str, context: dict[str, str], policy_version: str, exc_type: str,
                 message: str, frames: Sequence[FrameTuple], ts: str, breadcrumbs: Sequence[str],
                 extra: dict[str, str], scrub: Scrubber) -> dict[str, Any]:
    """The native `report` part, within the collector's limits, after the fast-tier redaction."""
    text = scrub.text
    consent = {"crash_report": "granted", "policy_version": policy_version}
    kept = list(frames)[: _limits.CRASH_MAX_FRAMES]  # a RecursionError has ~1000: keep the innermost
    return {
        "crash_id": str(uuid.uuid4()),
        "install_id": install_id,
        "consent": consent,
        "context": dict(context),
        "exception": {
            "type": _clip(text(exc_type, None), _limits.CRASH_EXCEPTION_TYPE_MAX_LENGTH) or "Exception",
            "message": _clip(text(message, "exception.message"), _limits.CRASH_MAX_MESSAGE_LENGTH),
        },
        "ts": ts,
        "threads": [{"crashed": True, "frames": [{
            "module": _clip(text(module, None), _limits.CRASH_CODE_MAX_LENGTH),
            "function": _clip(text(function, None), _limits.CRASH_CODE_MAX_LENGTH),
            "file": _clip(text(file, None), _limits.CRASH_FILE_MAX_LENGTH),
            "line": min(max(line, 0), _limits.CRASH_LINE_MAX),
            "in_app": _in_app(file),
        } for module, function, file, line in kept]}],
        "breadcrumbs": [text(b, None) for b in list(breadcrumbs)[-_limits.CRASH_MAX_BREADCRUMBS:]],
        "extra": {key: str(value) for key, value in scrub.mapping(dict(extra)).items()},
    }


def write_pending(directory: Path, report: dict[str, Any]) -> Path:
    """Atomically, so a half-written report is never offered."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{report['crash_id']}.json"
    temp = directory / f".{report['crash_id']}.tmp"
    with open(temp, "w", encoding="utf-8") as sink:
        json.dump(report, sink, ensure_ascii=False, sort_keys=True)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temp, final)
    return final


class CrashSender(Protocol):
    """What a pending crash needs from its client (the client's queue), named here so this module does not
    import the client that imports it."""

    def _send_crash(self, report: dict[str, Any], path: Path) -> None: ...


class PendingCrash:
    """A crash report waiting for the user's decision: `preview()` shows exactly what `send()` would post;
    `discard()` (or declining) deletes it. Until then it exists only as a file in the client's data directory."""

    def __init__(self, client: CrashSender, path: Path, report: dict[str, Any]) -> None:
        self._client = client
        self._path = path
        self._report = report
        self._state = "pending"

    @property
    def crash_id(self) -> str:
        return str(self._report["crash_id"])

    @property
    def exception_type(self) -> str:
        return str(self._report["exception"]["type"])

    @property
    def message(self) -> str:
        return str(self._report["exception"]["message"])

    @property
    def ts(self) -> str:
        return str(self._report.get("ts", ""))

    @property
    def state(self) -> str:
        """"pending", "sent" (handed to the queue; `client.flush()` waits for delivery) or "discarded"."""
        return self._state

    def preview(self) -> dict[str, Any]:
        """The `report` part exactly as `send()` posts it to `POST /v1/crashes` (a copy: editing it changes
        nothing)."""
        return copy.deepcopy(self._report)

    def send(self) -> str:
        """The user said yes: queue the report for sending (it survives restarts and outages); returns the crash
        id. Raises ConsentError unless consent is `telemetry+crash`."""
        if self._state != "pending":
            raise RuntimeError(f"crash report {self.crash_id} was already {self._state}")
        self._client._send_crash(self._report, self._path)
        self._state = "sent"
        return self.crash_id

    def discard(self) -> None:
        """The user said no (or the app decided not to ask): the report is deleted; nothing is sent."""
        if self._state == "pending":
            _unlink(self._path)
            self._state = "discarded"

    def __repr__(self) -> str:
        return f"<PendingCrash {self.crash_id} {self.exception_type} {self._state}>"


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def runtime_extra() -> dict[str, str]:
    return {"runtime": sys.implementation.name, "runtime_version": ".".join(map(str, sys.version_info[:3]))}
