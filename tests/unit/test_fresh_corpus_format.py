"""The late held-out splits (tests/corpus/real/fresh and fresh2) keep the record format of tests/corpus/real/README.md.

Structure only, no redaction: ids are unique, every sensitive span occurs in its text, every keep string occurs
outside the sensitive spans, negatives carry no span, telemetry records carry their value, and no source thread
is shared with an earlier split (the split follows the thread, so a shared thread would leak tuned-on or
already-measured text into the held-out measure)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REAL = Path(__file__).parents[1] / "corpus" / "real"
LANGS = ("python", "node", "java", "rust", "go", "dotnet", "native", "server", "shell", "telemetry")
OSES = {"macos", "linux", "windows", "wsl", "android", "ios", "any"}
TYPES = {
    "user_path", "username", "hostname", "person", "email", "ip", "mac", "secret", "cloud_id", "url_user",
    "url_param", "install_id", "content", "file_name", "phone", "card", "iban", "ssn", "location",
}
KEYS = {"id", "thread", "lang", "os", "field", "text", "sensitive", "keep"}


@dataclass(frozen=True)
class Split:
    name: str
    earlier: tuple[str, ...]  # splits whose threads and ids it must not share
    min_telemetry: int
    min_crash: int


SPLITS = (
    Split("fresh", ("dev", "test"), min_telemetry=250, min_crash=300),
    Split("fresh2", ("dev", "test", "fresh"), min_telemetry=150, min_crash=240),
)


def _load(directory: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                case = json.loads(line)
                case["_where"] = f"{path.parent.name}/{path.name}:{number}"
                cases.append(case)
    return cases


CASES = {split.name: _load(REAL / split.name) for split in SPLITS}
ALL_CASES = [case for split in SPLITS for case in CASES[split.name]]


def _covered(text: str, spans: list[str]) -> list[bool]:
    covered = [False] * len(text)
    for span in spans:
        start = text.find(span)
        while span and start >= 0:
            covered[start:start + len(span)] = [True] * len(span)
            start = text.find(span, start + 1)
    return covered


def _outside(text: str, keep: str, covered: list[bool]) -> bool:
    start = text.find(keep)
    while start >= 0:
        if not any(covered[start:start + len(keep)]):
            return True
        start = text.find(keep, start + 1)
    return False


@pytest.mark.parametrize("split", SPLITS, ids=lambda split: split.name)
def test_every_language_has_a_file_and_the_split_has_its_size(split: Split) -> None:
    cases = CASES[split.name]
    assert sorted(p.stem for p in (REAL / split.name).glob("*.jsonl")) == sorted(LANGS)
    per_lang = Counter(case["lang"] for case in cases)
    assert per_lang["telemetry"] >= split.min_telemetry
    assert sum(n for lang, n in per_lang.items() if lang != "telemetry") >= split.min_crash
    negatives = sum(1 for case in cases if case.get("unchanged"))
    assert 0.2 <= negatives / len(cases) <= 0.5  # about a third, as on real traffic


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case["_where"])
def test_record_shape(case: dict[str, Any]) -> None:
    assert KEYS <= case.keys()
    assert case["lang"] in LANGS and case["_where"].split("/")[1].startswith(case["lang"] + ".jsonl")
    assert case["os"] in OSES
    assert case["thread"] and not case["thread"].startswith(("http://", "https://"))
    assert len(case["text"]) <= 4200
    for item in case["sensitive"]:
        assert set(item) == {"span", "type"} and item["type"] in TYPES
    if case["sensitive"]:
        assert "unchanged" not in case
    else:
        assert case.get("unchanged") is True
    if case["lang"] == "telemetry":
        assert isinstance(case["field"], str) and case["field"] and "value" in case
        value = case["value"]
        assert case["text"] == (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    else:
        assert case["field"] is None and "value" not in case


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case["_where"])
def test_spans_occur_and_keeps_stand_outside_them(case: dict[str, Any]) -> None:
    text = case["text"]
    spans = [item["span"] for item in case["sensitive"]]
    for span in spans:
        assert span and span in text, span
    covered = _covered(text, spans)
    for keep in case["keep"]:
        assert keep and _outside(text, keep, covered), keep


@pytest.mark.parametrize("split", SPLITS, ids=lambda split: split.name)
def test_ids_are_unique_and_prefixed_by_their_file(split: Split) -> None:
    cases = CASES[split.name]
    ids = Counter(case["id"] for case in cases)
    assert [i for i, n in ids.items() if n > 1] == []
    prefixes = {case["lang"]: case["id"].rsplit("-", 1)[0] for case in cases}  # fpy-0001, f2-py-0001
    assert len(set(prefixes.values())) == len(LANGS)
    assert all(case["id"].rsplit("-", 1)[0] == prefixes[case["lang"]] for case in cases)
    older = {case["id"] for name in split.earlier for case in _load(REAL / name)}
    assert older.isdisjoint(ids)


@pytest.mark.parametrize("split", SPLITS, ids=lambda split: split.name)
def test_threads_are_disjoint_from_earlier_splits(split: Split) -> None:
    threads = {case["thread"] for case in CASES[split.name]}
    for name in split.earlier:
        shared = threads & {case["thread"] for case in _load(REAL / name)}
        assert shared == set(), f"threads shared with {name}: {sorted(shared)[:5]}"
