"""The crash redact stage: same results and findings with its caches, deep tier only where NER can find something,
bounded caches that hold no raw text, and planted personal data never kept (annotations and exception message)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from ingest.crash.minidump import parse_minidump
from ingest.crash.model import CrashReport
from ingest.stages import redact_crash as stage
from ingest.stages.redact_crash import ResultCache, caches, needs_ner, redact_crash
from redact import Redactor

FIXTURES = Path(__file__).parents[1] / "fixtures" / "minidumps"
PLANTED = ("alice.johnson@example.com", "/home/alice/", "C:\\Users\\Alice Johnson", "Alice Johnson")


def report(message: str = "", **extra: str) -> CrashReport:
    return msgspec.convert({
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()), "consent": {"crash_report": "granted"},
        "context": {"app": "example", "app_version": "1.0", "os": "windows"},
        "exception": {"type": "NativeCrash", "message": message},
        "threads": [{"crashed": True, "frames": [
            {"function": "open", "module": "app.docs", "file": "C:\\Users\\Alice Johnson\\app\\docs.py"}]}],
        "extra": extra,
    }, CrashReport)


ANNOTATIONS = {"prod": "Example App", "ver": "28.2.1", "channel": "beta build for alice.johnson@example.com",
               "process_type": "/home/alice/bin/helper", "plat": "win32", "ptype": "renderer made by Alice Johnson"}
MESSAGE = "cannot open C:\\Users\\Alice Johnson\\notes.txt, mail alice.johnson@example.com; Alice Johnson knows"


def uncached(crash: CrashReport, redactor: Redactor) -> tuple[str, dict[str, Any], dict[str, int]]:
    """The stage before its caches: each value through the fast tier, then the deep tier."""
    found: dict[str, int] = {}

    def add(findings: dict[str, int]) -> None:
        for rule, count in findings.items():
            found[rule] = found.get(rule, 0) + count

    fast = redactor.redact_text(crash.exception.message, field="exception.message")
    deep = redactor.redact_text(fast.value, field="exception.message", tier="deep")
    add(fast.findings)
    add(deep.findings)
    fast_extra = redactor.redact_mapping(dict(crash.extra))
    deep_extra = redactor.redact_mapping(fast_extra.value, tier="deep")
    add(fast_extra.findings)
    add(deep_extra.findings)
    return deep.value, deep_extra.value, found


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def test_planted_personal_data_is_never_kept(redactor: Redactor) -> None:
    for _ in range(3):  # the first crash fills the caches, the next ones are answered from them
        clean = redact_crash(report(MESSAGE, **ANNOTATIONS), None, [], redactor, exception_type="NativeCrash")
        stored = msgspec.json.encode([clean.exception_message, clean.extra, clean.frames]).decode()
        for planted in ("alice.johnson@example.com", "/home/alice/", "Alice Johnson", "alice"):
            assert planted not in stored
        assert clean.extra["ver"] == "28.2.1" and clean.extra["plat"] == "win32"
        assert clean.extra["prod"] == "Example App"  # a product's name, though the model calls it a person
        people = sum(n for rule, n in clean.findings.items() if rule.startswith(("name.", "ner.person")))
        # Alice Johnson: a name pair in `ptype`; in the message, the user of the home path (path.user) twice
        assert clean.findings["email"] >= 2 and people >= 1 and clean.findings["path.user"] >= 2


def test_same_values_and_findings_as_without_the_caches(redactor: Redactor) -> None:
    crash = report(MESSAGE, **ANNOTATIONS)
    message, extra, found = uncached(crash, redactor)
    for _ in range(2):
        clean = redact_crash(crash, None, [], redactor, exception_type="NativeCrash")
        assert clean.exception_message == message and clean.extra == extra
        frame_findings = sum(redactor.redact_text(f).findings.get("path.user", 0)
                             for f in ("C:\\Users\\Alice Johnson\\app\\docs.py",))
        assert dict(clean.findings) == {**found, "path.user": found.get("path.user", 0) + frame_findings}


def test_repeated_values_skip_both_tiers(redactor: Redactor, monkeypatch: pytest.MonkeyPatch) -> None:
    crash = report(MESSAGE, **ANNOTATIONS)
    redact_crash(crash, None, [], redactor, exception_type="NativeCrash")
    calls = []
    original = redactor.redact_text
    monkeypatch.setattr(redactor, "redact_text", lambda *a, **k: calls.append(a) or original(*a, **k))
    monkeypatch.setattr(redactor, "redact_mapping", lambda *a, **k: calls.append(a) or pytest.fail("uncached"))
    redact_crash(report(MESSAGE, **ANNOTATIONS), None, [], redactor, exception_type="NativeCrash")
    assert calls == []


def test_deep_tier_only_where_ner_can_find_something(monkeypatch: pytest.MonkeyPatch) -> None:
    redactor = Redactor()
    deep_inputs: list[Any] = []
    text, mapping = redactor.redact_text, redactor.redact_mapping

    def redact_text(value: str, **kw: Any) -> Any:
        if kw.get("tier") == "deep":
            deep_inputs.append(value)
        return text(value, **kw)

    def redact_mapping(value: dict[str, Any], **kw: Any) -> Any:
        if kw.get("tier") == "deep":
            deep_inputs.extend(value.values())
        return mapping(value, **kw)

    monkeypatch.setattr(redactor, "redact_text", redact_text)
    monkeypatch.setattr(redactor, "redact_mapping", redact_mapping)
    clean = redact_crash(report("", ver="28.2.1", pid="4242", build="2026-11-22", name="Alice Johnson"), None, [],
                         redactor, exception_type="NativeCrash")
    # Only the name-bearing value reaches the deep tier (the fast tier's name finder has already replaced it):
    # not the empty message, the version, the pid or the date.
    assert deep_inputs == ["[person]"]
    assert clean.extra == {"ver": "28.2.1", "pid": "4242", "build": "2026-11-22", "name": "[person]"}


@pytest.mark.parametrize(("text", "expected"), [
    ("", False), ("28.2.1", False), ("0x7ff6", True), ("2026-11-22 10:00", False), ("+1 555 0100", False),
    ("win32", True), ("london", True), ("Zoë", True), ("Москва", True), ("[person]", True),
])
def test_needs_ner(text: str, expected: bool) -> None:
    assert needs_ner(text) is expected


def test_cache_is_bounded_lru_and_holds_no_raw_text() -> None:
    cache = ResultCache(entries=3)
    for i in range(3):
        cache.put(bytes([i]), (f"v{i}", ()))
    assert cache.get(bytes([0])) == ("v0", ())  # 0 is now the most recently used
    cache.put(b"\x09", ("v9", ()))
    assert len(cache) == 3 and cache.get(bytes([1])) is None and cache.get(bytes([0])) is not None

    redactor = Redactor()
    redact_crash(report(MESSAGE, **ANNOTATIONS), None, [], redactor, exception_type="NativeCrash")
    held = caches(redactor)
    assert len(held.fast) and len(held.deep)
    for cache in (held.fast, held.deep):
        dumped = repr(list(cache._data.items()))
        for planted in PLANTED:
            assert planted not in dumped and planted.encode() not in b"".join(cache._data)


def test_caches_are_per_redactor() -> None:
    one, two = Redactor(), Redactor()
    assert caches(one) is caches(one) and caches(one) is not caches(two)


def test_long_texts_are_not_cached(redactor: Redactor) -> None:
    long = "Alice Johnson wrote " + "x" * stage.CACHE_MAX_CHARS
    before = len(caches(redactor).deep)
    clean = redact_crash(report(long), None, [], redactor, exception_type="NativeCrash")
    assert "Alice" not in clean.exception_message and len(caches(redactor).deep) == before


def test_context_strings_get_the_fast_tier_as_on_the_events_path(redactor: Redactor) -> None:
    crash = msgspec.structs.replace(report(), context=msgspec.convert(
        {"app": "build 4111 1111 1111 1111", "app_version": "10.0.0.12", "os": "windows", "os_version": "10.0.0.12",
         "device_type": "mail alice@example.com"}, type(report().context)))
    clean = redact_crash(crash, None, [], redactor, exception_type="NativeCrash")
    # Version fields are kept as sent (the field table's `keep`: a four-part version is not an address).
    assert clean.context == {"app": "build [card]", "app_version": "10.0.0.12", "os": "windows",
                             "os_version": "10.0.0.12", "device_type": "mail [email]", "policy_version": ""}
    assert clean.findings["card"] == 1 and clean.findings["email"] == 1


def test_the_deep_tier_budget_is_per_request_and_spent_results_are_not_cached(redactor: Redactor) -> None:
    """Past the request's budget a free-text value gets the fast tier only (counted); that answer is not cached
    as the value's answer, so a later request with budget left runs the deep tier on it."""
    message = f"Alice Johnson could not save {uuid.uuid4().hex}"  # unique: no cached answer yet
    deep_cache = caches(redactor).deep
    cached = len(deep_cache)
    spent = stage.DeepBudget(10)
    redact_crash(report(message), None, [], redactor, exception_type="NativeCrash", budget=spent)
    assert spent.skipped == 1 and spent.remaining == 10
    assert len(deep_cache) == cached
    fresh = stage.DeepBudget(1000)
    redact_crash(report(message), None, [], redactor, exception_type="NativeCrash", budget=fresh)
    assert fresh.skipped == 0 and fresh.remaining < 1000
    assert len(deep_cache) == cached + 1


def test_versions_in_modules_are_not_addresses(redactor: Redactor) -> None:
    """A frame's module carries versions; the IP rules never read them, every other rule still does."""
    crash = msgspec.convert({
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()), "consent": {"crash_report": "granted"},
        "context": {"app": "example", "app_version": "1.0", "os": "linux"}, "exception": {"type": "E"},
        "threads": [{"crashed": True, "frames": [
            {"function": "call", "module": "actionpack (7.1.3.2)", "file": "lib/action_dispatch/routing.rb"},
            {"function": "run", "module": "/home/alice/.gem/ruby/3.2.0/gems/rack-2.2.8.1/lib/rack.rb"},
            {"function": "f", "file": "//10.1.2.3/share/app.py"}]}],
    }, CrashReport)
    clean = redact_crash(crash, None, [], redactor, exception_type="E")
    modules = [frame.module for frame in clean.frames]
    assert modules[0] == "actionpack (7.1.3.2)"
    assert "rack-2.2.8.1" in modules[1] and "alice" not in modules[1]  # the home path still goes
    assert "10.1.2.3" not in clean.frames[2].file  # an address in a file path is still an address
    assert clean.findings.get("ip.v4", 0) == 1


@pytest.mark.parametrize("path", [
    "/private/var/containers/Bundle/Application/0346EA7B-282A-4ADA-A0C8-31BBE777EA8E/App.app/App",
    "/var/mobile/Containers/Data/Application/0346EA7B-282A-4ADA-A0C8-31BBE777EA8E/Library/Caches/x",
    "/Users/jane/Library/Developer/CoreSimulator/Devices/0346EA7B-282A-4ADA-A0C8-31BBE777EA8E/data/App.app/App",
])
def test_ios_container_and_simulator_ids_are_replaced(redactor: Redactor, path: str) -> None:
    """Per-install iOS container / simulator device ids, in a frame's module and file."""
    crash = msgspec.convert({
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()), "consent": {"crash_report": "granted"},
        "context": {"app": "example", "app_version": "1.0", "os": "ios"}, "exception": {"type": "E"},
        "threads": [{"crashed": True, "frames": [{"function": "main", "module": path, "file": path}]}],
    }, CrashReport)
    clean = redact_crash(crash, None, [], redactor, exception_type="E")
    (frame,) = clean.frames
    for text in (frame.module, frame.file):
        assert "0346EA7B" not in text and "jane" not in text and "[id]" in text


def test_a_dumps_module_list_is_redacted_as_module_by_module_and_remembered_whole() -> None:
    """The module paths of a dump (user names in per-user installs) come out as versioned() gives each, with the
    same findings on every crash, and a repeated list is one lookup."""
    redactor = Redactor()
    dump = parse_minidump((FIXTURES / "windows_amd64.dmp").read_bytes())
    paths = [module.path for module in dump.modules]
    assert any("Bob Smith" in path for path in paths)
    expected = [redactor.redact_text(path).value for path in paths]
    runs = [redact_crash(report(), dump, [], redactor, exception_type="E") for _ in range(3)]
    for clean in runs:
        assert clean.dump_modules == expected and all("Bob Smith" not in m for m in clean.dump_modules)
        assert clean.findings["path.user"] == runs[0].findings["path.user"] >= 2
    lists = caches(redactor).modules
    assert (len(lists), lists.misses, lists.hits) == (1, 1, 2)


def test_module_paths_holding_the_separator_are_redacted_one_by_one(redactor: Redactor) -> None:
    scrub = stage._Scrubber(redactor)
    paths = ["C:\\Users\\Alice Johnson\\a\0b.dll", "C:\\Windows\\System32\\ntdll.dll"]
    assert scrub.modules(paths) == [scrub.versioned(path) for path in paths]
    assert "Alice" not in scrub.modules(paths)[0] and scrub.modules([]) == []
