"""The real-text corpus (tests/corpus/real): well-formed, split by thread, and the floors the engine must hold.

The figures come from `bench/redaction_eval.py` (the same code prints the per-type and per-language tables).
Floors are set on the held-out test split at what the engine reaches, rounded down; issue bars are in the
corpus README. Lowering a floor to make a run pass hides a leak: report the figure instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from redact import Redactor

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus" / "real"
TYPES = {"user_path", "username", "hostname", "person", "email", "ip", "mac", "secret", "cloud_id", "url_user",
         "url_param", "install_id", "content", "file_name", "phone", "card", "iban", "ssn", "location"}
LANGS = {"python", "node", "java", "rust", "go", "dotnet", "native", "server", "shell", "telemetry"}
OSES = {"macos", "linux", "windows", "wsl", "android", "ios", "any"}
REQUIRED = ("id", "thread", "lang", "os", "field", "text", "sensitive", "keep")

# (split, tier, which cases) -> (recall floor, kept floor)
FLOORS: dict[tuple[str, str, str], tuple[float, float]] = {
    ("test", "fast", "crash"): (0.85, 0.96),
    ("test", "fast", "telemetry"): (0.83, 0.91),
    ("dev", "fast", "crash"): (0.88, 0.97),
    ("dev", "fast", "telemetry"): (0.91, 0.97),
    # The deep tier runs the fast tier first and may only add: held to the fast tier's floors (it once kept 0.952
    # on dev where the fast tier kept 0.979, its model calling "Info" and "Darwin 14.5.0" people).
    ("dev", "deep", "crash"): (0.88, 0.97),
    ("dev", "deep", "telemetry"): (0.91, 0.97),
    # The fresh split (written after these rules, by a writer who never read them; see the corpus README): the
    # honest check that the rules generalise. Nobody tunes to it; floors only keep it from sliding back.
    ("fresh", "fast", "crash"): (0.84, 0.96),
    ("fresh", "fast", "telemetry"): (0.84, 0.89),
    # fresh2 (session 7, from threads no split used; measured once, after that session's rules were merged):
    # floors a little under its first figures (crash 0.766 / 0.973, telemetry 0.828 / 0.875), against sliding back.
    ("fresh2", "fast", "crash"): (0.75, 0.96),
    ("fresh2", "fast", "telemetry"): (0.81, 0.86),
}


def _evaluator() -> Any:
    spec = importlib.util.spec_from_file_location("redaction_eval", ROOT / "bench" / "redaction_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


EVAL = _evaluator()


def _cases(split: str) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, json.loads(line)) for path in sorted((CORPUS / split).glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def _problems(path: Path, split: str, case: dict[str, Any]) -> list[str]:
    where = f"{split}/{path.name} {case.get('id')}"
    if missing := [k for k in REQUIRED if k not in case]:
        return [f"{where}: missing {missing}"]
    out = []
    expected = "test" if hashlib.sha256(case["thread"].encode()).digest()[0] < 77 else "dev"
    if expected != split:
        out.append(f"{where}: thread belongs to the {expected} split")
    if case["lang"] not in LANGS or case["os"] not in OSES or path.stem != case["lang"]:
        out.append(f"{where}: lang/os/file disagree")
    if case["field"] is not None and EVAL.as_text(case) != case["text"]:
        out.append(f"{where}: text is not the value as a string")
    text, spans = case["text"], case["sensitive"]
    taken = [m.span() for item in spans for m in re.finditer(re.escape(item["span"]), text)]
    for item in spans:
        if item["type"] not in TYPES or not item["span"] or item["span"] not in text:
            out.append(f"{where}: bad sensitive item {item['type']}")
    for keep in case["keep"]:
        free = any(all(b <= x or a >= y for x, y in taken) for a, b in
                   (m.span() for m in re.finditer(re.escape(keep), text)))
        if not free:
            out.append(f"{where}: a keep string is missing or lies inside a sensitive span")
    if bool(case.get("unchanged")) == bool(spans):
        out.append(f"{where}: a case is either a negative (unchanged) or has sensitive spans")
    return out


def test_corpus_is_well_formed_and_split_by_thread() -> None:
    problems: list[str] = []
    ids: set[str] = set()
    threads: dict[str, set[str]] = {"dev": set(), "test": set()}
    for split in ("dev", "test"):
        for path, case in _cases(split):
            problems.extend(_problems(path, split, case))
            if case.get("id") in ids:
                problems.append(f"duplicate id {case.get('id')}")
            ids.add(case.get("id", ""))
            threads[split].add(case.get("thread", ""))
    assert not problems, "\n".join(problems[:50])
    assert not threads["dev"] & threads["test"], "a thread straddles the split"
    assert len(ids) >= 1500, f"{len(ids)} cases; issue 15 asks for at least 1,500"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(("split", "tier", "kind"), sorted(FLOORS))
def test_engine_holds_its_floor(redactor: Redactor, split: str, tier: str, kind: str) -> None:
    cases = [c for _, c in _cases(split) if (c["lang"] == "telemetry") == (kind == "telemetry")]
    report = EVAL.evaluate(cases, tier, redactor)
    recall, kept = report.total(report.recall), report.total(report.keep_by_lang)
    print("\n".join(EVAL.render(split, tier, report)))  # the tables, never the misses
    floor_recall, floor_kept = FLOORS[(split, tier, kind)]
    assert recall.rate() >= floor_recall, f"recall {recall.rate():.3f} < {floor_recall}"
    assert kept.rate() >= floor_kept, f"kept {kept.rate():.3f} < {floor_kept}"
