"""Redact stage for crash reports: the strictest path. Every text passes the fast tier; free text (the
exception message, extra values, text attachments) then also passes the deep tier (presidio, NER).

Code identifiers (frame functions, modules, file paths, exception types) get the fast tier only: its path
rules remove user names while keeping the code-location tail, and NER on identifiers mangles them
(`_client.py` read as a person) without finding anything the fast tier misses."""

from __future__ import annotations

import re
from collections import Counter

import msgspec

from ingest.crash.fingerprint import fingerprint
from ingest.crash.minidump import MinidumpInfo
from ingest.crash.model import Attachment, CrashReport, Frame
from redact import Redactor, Tier
from storage.rows import FrameRow


class RedactedCrash(msgspec.Struct):
    exception_type: str
    exception_message: str
    frames: list[FrameRow]
    fingerprint: str
    breadcrumbs: list[str]
    extra: dict[str, str]
    dump_modules: list[str]
    attachments: list[str]
    findings: Counter[str]


class _Scrubber:
    """Runs one tier over many strings and adds up the findings."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.findings: Counter[str] = Counter()

    def text(self, text: str, field: str | None = None, tier: Tier = "fast") -> str:
        result = self.redactor.redact_text(text, field=field, tier=tier)
        self.findings.update(result.findings)
        return result.value


def _frame(frame: Frame, scrub: _Scrubber) -> FrameRow:
    # field=None: crash text is scrubbed inside but never replaced whole as "content".
    return FrameRow(module=scrub.text(frame.module or ""), function=scrub.text(frame.function or ""),
                    file=scrub.text(frame.file or ""), line=frame.line or 0, in_app=frame.in_app)


def _crashing_frames(report: CrashReport) -> list[Frame]:
    """Only the crashing thread is kept: it is what triage reads, and other threads only add exposure."""
    threads = report.threads
    chosen = next((t for t in threads if t.crashed), threads[0] if threads else None)
    return list(chosen.frames) if chosen else []


def _faulting_module(dump: MinidumpInfo, modules: list[str]) -> list[FrameRow]:
    """For a dump without a stack (Crashpad), the module holding the crash address stands in for frame 0."""
    address = dump.crash_address
    for info, path in zip(dump.modules, modules, strict=False):
        if address is not None and info.base <= address < info.base + info.size:
            return [FrameRow(module=re.split(r"[\\/]", path)[-1], function="<unknown>", file="", line=0,
                             in_app=True)]
    return []


def redact_crash(report: CrashReport, dump: MinidumpInfo | None, attachments: list[Attachment],
                 redactor: Redactor, *, exception_type: str) -> RedactedCrash:
    scrub = _Scrubber(redactor)
    message = scrub.text(scrub.text(report.exception.message, "exception.message"), "exception.message", "deep")
    kind = scrub.text(exception_type)
    frames = [_frame(f, scrub) for f in _crashing_frames(report)]
    modules = [scrub.text(m.path) for m in dump.modules] if dump and dump.ok else []
    if not frames and dump is not None and dump.ok:
        frames = _faulting_module(dump, modules)
    extra = {key: str(value) for key, value in report.extra.items()}
    fast_extra = redactor.redact_mapping(extra)
    deep_extra = redactor.redact_mapping(fast_extra.value, tier="deep")
    scrub.findings.update(fast_extra.findings)
    scrub.findings.update(deep_extra.findings)
    texts = [scrub.text(scrub.text(a.text, "log"), "log", "deep") for a in attachments]  # a log: free text
    return RedactedCrash(
        exception_type=kind, exception_message=message, frames=frames,
        fingerprint=fingerprint(kind, message, frames),
        breadcrumbs=[scrub.text(b) for b in report.breadcrumbs],
        extra={key: str(value) for key, value in deep_extra.value.items()},
        dump_modules=modules, attachments=texts, findings=scrub.findings,
    )
