"""Redact stage for crash reports: the strictest path. Every text passes the fast tier; free text (the
exception message, extra values, text attachments) then also passes the deep tier (spaCy NER checked by the name lists).

Code identifiers (frame functions, modules, file paths, exception types) get the fast tier only: its path
rules remove user names while keeping the code-location tail, and NER on identifiers mangles them
(`_client.py` read as a person) without finding anything the fast tier misses. A frame's module (or, for native
frames, its package: the binary image) carries versions (`System.Runtime, Version=4.2.1.0`, `actionpack
(7.1.3.2)`): it is scanned by every rule but the IP-address rules, so a four-part version is never an address.

What a crash carries repeats from crash to crash (module paths, frames, product names, versions, channels), and
both tiers give the same answer for the same input under one policy: results are kept in a bounded LRU per
Redactor, keyed by a digest of the input (the cache holds no raw text, only redacted results), and replayed with
their findings, so a repeated value costs a lookup and is still counted in every crash's redactions. The deep
tier's NER looks for names of people and places: a value with no letter cannot hold one, so it gets the fast
tier only."""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable

import msgspec

from ingest.crash.fingerprint import fingerprint
from ingest.crash.minidump import MinidumpInfo
from ingest.crash.model import Attachment, CrashReport, Frame
from redact import Redactor
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
    # app, app_version, os, os_version, device_type and policy_version: the fast tier, as on the events path
    context: dict[str, str] = {}


CACHE_ENTRIES = 8192  # per tier and Redactor; one entry is a digest, a redacted string and its findings
CACHE_MAX_CHARS = 2048  # longer texts (logs, long messages) are rarely repeated: not cached
_LETTER = re.compile(r"[^\W\d_]")  # any letter, in any script
# A cached result: the redacted text and the findings (rule id, count) it had.
Result = tuple[str, tuple[tuple[str, int], ...]]


class ResultCache:
    """A bounded LRU of redaction results, keyed by the digest of (what was asked, the text). Thread-safe: the
    redact stage runs on the default executor's threads."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._data: OrderedDict[bytes, Result] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: bytes) -> Result | None:
        with self._lock:
            found = self._data.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(key)
            return found

    def put(self, key: bytes, result: Result) -> None:
        with self._lock:
            self._data[key] = result
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class Caches(msgspec.Struct):
    fast: ResultCache
    deep: ResultCache
    modules: ResultCache  # whole module lists: one lookup per dump instead of one per module


MODULE_LISTS = 256  # module lists remembered per Redactor (an app version's list, per install path)
MODULE_LIST_MAX_CHARS = 64 << 10  # longer lists are redacted module by module (at most ~16 MiB cached in all)


_CACHES: weakref.WeakKeyDictionary[Redactor, Caches] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


VERSION_SAFE_OFF = ("ip.v4", "ip.v6")  # the rules a version number trips; everything else still runs
_VERSION_SAFE: weakref.WeakKeyDictionary[Redactor, Redactor] = weakref.WeakKeyDictionary()


def version_safe(redactor: Redactor) -> Redactor:
    """The same policy without the IP rules, for version-bearing fields (built once per Redactor: ~0.3 s)."""
    found = _VERSION_SAFE.get(redactor)
    if found is None:
        with _CACHES_LOCK:
            found = _VERSION_SAFE.get(redactor)
            if found is None:
                policy = redactor.policy
                rules = {**policy.rules, **{rule: False for rule in VERSION_SAFE_OFF}}
                found = _VERSION_SAFE[redactor] = Redactor(msgspec.structs.replace(policy, rules=rules))
    return found


def caches(redactor: Redactor) -> Caches:
    """The result caches of one Redactor (its policy decides the results, so they live and die with it)."""
    found = _CACHES.get(redactor)
    if found is None:
        with _CACHES_LOCK:
            found = _CACHES.setdefault(redactor, Caches(ResultCache(), ResultCache(), ResultCache(MODULE_LISTS)))
    return found


def _key(kind: str, text: str) -> bytes:
    return hashlib.blake2b(f"{kind}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


def needs_ner(text: str) -> bool:
    """Whether the deep tier can find more than the fast tier did: NER finds names of people and places, and a
    text with no letter holds none (numbers, versions, hex, punctuation)."""
    return _LETTER.search(text) is not None


class DeepBudget:
    """How many characters of free text one request may give the deep tier (`crash_limits.deep_chars_per_request`):
    NER costs milliseconds per value, and one small request can carry a thousand crash reports (PostHog
    $exception events). Past the budget a value gets the fast tier only and is counted in `skipped`."""

    def __init__(self, chars: int) -> None:
        self.remaining = chars
        self.skipped = 0

    def take(self, text: str) -> bool:
        if len(text) > self.remaining:
            self.skipped += 1
            return False
        self.remaining -= len(text)
        return True


class _Scrubber:
    """Runs one tier over many strings and adds up the findings; results are cached per Redactor."""

    def __init__(self, redactor: Redactor, budget: DeepBudget | None = None) -> None:
        self.redactor = redactor
        self.findings: Counter[str] = Counter()
        self.caches = caches(redactor)
        self.budget = budget or DeepBudget(1 << 62)
        self._partial = False  # the last computed result skipped the deep tier: not to be cached as its answer

    def _cached(self, cache: ResultCache, kind: str, text: str, compute: Callable[[], Result],
                cap: int = CACHE_MAX_CHARS) -> str:
        if len(text) > cap:
            value, findings = compute()
        else:
            key = _key(kind, text)
            found = cache.get(key)
            if found is None:
                self._partial = False
                found = compute()
                if not self._partial:
                    cache.put(key, found)
            value, findings = found
        for rule, count in findings:
            self.findings[rule] += count
        return value

    def text(self, text: str, field: str | None = None) -> str:
        """The fast tier (code identifiers, paths, event names)."""
        def compute() -> Result:
            result = self.redactor.redact_text(text, field=field)
            return result.value, tuple(result.findings.items())

        return self._cached(self.caches.fast, f"f:{field or ''}", text, compute)

    def versioned(self, text: str) -> str:
        """A version-bearing code identifier (a frame's module): the fast tier without the IP rules."""
        def compute() -> Result:
            result = version_safe(self.redactor).redact_text(text)
            return result.value, tuple(result.findings.items())

        return self._cached(self.caches.fast, "v:", text, compute) if text else text

    def modules(self, paths: list[str]) -> list[str]:
        """A dump's module paths, each as versioned() gives it. The same list comes with every crash of an app
        version from one install path: remembered whole, it costs one digest instead of one per module."""
        if not paths:
            return []
        joined = "\0".join(paths)
        if len(joined) > MODULE_LIST_MAX_CHARS or joined.count("\0") != len(paths) - 1:
            return [self.versioned(path) for path in paths]  # too long, or a path holding the separator

        def compute() -> Result:
            each = _Scrubber(self.redactor, self.budget)
            return "\0".join(each.versioned(path) for path in paths), tuple(each.findings.items())

        return self._cached(self.caches.modules, "m:", joined, compute, cap=MODULE_LIST_MAX_CHARS).split("\0")

    def prose(self, text: str, field: str) -> str:
        """Free text: the fast tier, then the deep tier where NER can find something."""
        def compute() -> Result:
            fast = self.redactor.redact_text(text, field=field)
            findings = Counter(fast.findings)
            value = fast.value
            if needs_ner(value) and self._deep_allowed(value):
                deep = self.redactor.redact_text(value, field=field, tier="deep")
                findings.update(deep.findings)
                value = deep.value
            return value, tuple(findings.items())

        return self._cached(self.caches.deep, f"d:{field}", text, compute)

    def _deep_allowed(self, text: str) -> bool:
        if self.budget.take(text):
            return True
        self._partial = True
        return False

    def extra(self, extra: dict[str, str]) -> dict[str, str]:
        """`extra` values are free text: each value as redact_mapping gives it, fast then deep tier."""
        if len(extra) > self.redactor.policy.max_items:  # the walker's size limit applies to the whole mapping
            fast = self.redactor.redact_mapping(extra)
            self.findings.update(fast.findings)
            if not self._deep_allowed("".join(str(value) for value in fast.value.values())):
                return {key: str(value) for key, value in fast.value.items()}
            deep = self.redactor.redact_mapping(fast.value, tier="deep")
            self.findings.update(deep.findings)
            return {key: str(value) for key, value in deep.value.items()}
        out: dict[str, str] = {}
        for key, value in extra.items():
            def compute(key: str = key, value: str = value) -> Result:
                fast = self.redactor.redact_mapping({key: value})
                findings = Counter(fast.findings)
                ((new_key, new_value),) = fast.value.items()
                if isinstance(new_value, str) and needs_ner(new_value) and self._deep_allowed(new_value):
                    deep = self.redactor.redact_mapping({new_key: new_value}, tier="deep")
                    findings.update(deep.findings)
                    ((new_key, new_value),) = deep.value.items()
                return f"{new_key}\0{new_value}", tuple(findings.items())

            new_key, _, new_value = self._cached(self.caches.deep, f"x:{key}", value, compute).partition("\0")
            out[new_key] = new_value
        return out


def _frame(frame: Frame, scrub: _Scrubber) -> FrameRow:
    # field=None: crash text is scrubbed inside but never replaced whole as "content".
    return FrameRow(module=scrub.versioned(frame.module or ""), function=scrub.text(frame.function or ""),
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
                 redactor: Redactor, *, exception_type: str, budget: DeepBudget | None = None) -> RedactedCrash:
    scrub = _Scrubber(redactor, budget)
    message = scrub.prose(report.exception.message, "exception.message")
    kind = scrub.text(exception_type)
    frames = [_frame(f, scrub) for f in _crashing_frames(report)]
    modules = scrub.modules([m.path for m in dump.modules]) if dump and dump.ok else []
    if not frames and dump is not None and dump.ok:
        frames = _faulting_module(dump, modules)
    extra = scrub.extra({key: str(value) for key, value in report.extra.items()})
    texts = [scrub.prose(a.text, "log") for a in attachments]  # a log: free text
    ctx = report.context
    context = {name: scrub.text(value or "", name) for name, value in (
        ("app", ctx.app), ("app_version", ctx.app_version), ("os", ctx.os), ("os_version", ctx.os_version),
        ("device_type", ctx.device_type), ("policy_version", report.consent.policy_version))}
    return RedactedCrash(
        exception_type=kind, exception_message=message, frames=frames,
        fingerprint=fingerprint(kind, message, frames),
        breadcrumbs=[scrub.text(b) for b in report.breadcrumbs],
        extra=extra,
        dump_modules=modules, attachments=texts, findings=scrub.findings, context=context,
    )
