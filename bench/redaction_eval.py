"""Redaction quality on the real-text corpus (tests/corpus/real): recall per type and language, keep rate.

    python bench/redaction_eval.py --split dev --tier fast [--misses]
    python bench/redaction_eval.py --split test --tier deep
    python bench/redaction_eval.py --split fresh --tier fast

A sensitive span is caught when it no longer occurs anywhere in the output; a keep string is kept when it still
occurs; a negative (`"unchanged": true`) passes when the output equals the input. `--misses` lists what leaked
and what was damaged, on the dev split only: the test and fresh splits are held out, their misses are never
printed (fresh is a second held-out set, written later by a writer who never read redact/, to check that rule
changes tuned on dev generalise).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "real"
SPLITS = ("dev", "test", "fresh", "fresh2")
HELD_OUT = ("test", "fresh", "fresh2")  # misses are never listed for these


@dataclass
class Tally:
    """Caught / total counts for one row of a table."""

    hit: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hit += ok
        self.total += 1

    def rate(self) -> float:
        return self.hit / self.total if self.total else float("nan")


@dataclass
class Report:
    recall: dict[str, Tally] = field(default_factory=lambda: collections.defaultdict(Tally))
    recall_by_lang: dict[str, Tally] = field(default_factory=lambda: collections.defaultdict(Tally))
    keep_by_lang: dict[str, Tally] = field(default_factory=lambda: collections.defaultdict(Tally))
    unchanged_by_lang: dict[str, Tally] = field(default_factory=lambda: collections.defaultdict(Tally))
    misses: list[str] = field(default_factory=list)
    cases: int = 0
    seconds: float = 0.0

    def total(self, table: dict[str, Tally]) -> Tally:
        return Tally(sum(t.hit for t in table.values()), sum(t.total for t in table.values()))


def load(split: str, corpus: Path = CORPUS) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted((corpus / split).glob("*.jsonl")):
        cases.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return cases


def redact(redactor: Any, case: dict[str, Any], tier: str) -> str:
    if case.get("field") is None:
        return str(redactor.redact_text(case["text"], tier=tier).value)
    value = case.get("value", case["text"])
    out = redactor.redact_mapping({case["field"]: value}, tier=tier).value
    return json.dumps(out[case["field"]], ensure_ascii=False) if not isinstance(out[case["field"]], str) \
        else out[case["field"]]


def as_text(case: dict[str, Any]) -> str:
    value = case.get("value", case["text"])
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def evaluate(cases: Iterable[dict[str, Any]], tier: str, redactor: Any) -> Report:
    report = Report()
    start = time.perf_counter()
    for case in cases:
        report.cases += 1
        out = redact(redactor, case, tier)
        lang = case["lang"]
        for item in case["sensitive"]:
            caught = item["span"] not in out
            report.recall[item["type"]].add(caught)
            report.recall_by_lang[lang].add(caught)
            if not caught:
                report.misses.append(f"leak  {case['id']} {item['type']}: {item['span']!r}")
        for keep in case["keep"]:
            kept = keep in out
            report.keep_by_lang[lang].add(kept)
            if not kept:
                report.misses.append(f"lost  {case['id']}: {keep!r}")
        if case.get("unchanged"):
            same = out == as_text(case)
            report.unchanged_by_lang[lang].add(same)
            report.keep_by_lang[lang].add(same)  # a negative damaged is a keep failure too
            if not same:
                report.misses.append(f"moved {case['id']}")
    report.seconds = time.perf_counter() - start
    return report


def table(title: str, rows: dict[str, Tally]) -> Iterator[str]:
    yield f"  {title:<22} {'rate':>6} {'n':>6}"
    for name in sorted(rows):
        yield f"  {name:<22} {rows[name].rate():6.3f} {rows[name].total:6d}"


def render(split: str, tier: str, report: Report) -> Iterator[str]:
    recall, keep = report.total(report.recall), report.total(report.keep_by_lang)
    yield f"# split={split} tier={tier}: {report.cases} cases in {report.seconds:.1f} s"
    yield f"removed (recall) {recall.rate():.3f} of {recall.total} items; kept {keep.rate():.3f} of {keep.total}"
    yield from table("recall by type", report.recall)
    yield from table("recall by language", report.recall_by_lang)
    yield from table("kept by language", report.keep_by_lang)
    yield from table("negatives unchanged", report.unchanged_by_lang)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--tier", choices=("fast", "deep"), default="fast")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="list leaks and damage (dev split only)")
    args = parser.parse_args(argv)
    if args.misses and args.split in HELD_OUT:
        parser.error(f"the {args.split} split is held out: its misses are never listed")
    from redact import Redactor

    report = evaluate(load(args.split, args.corpus), args.tier, Redactor())
    print("\n".join(render(args.split, args.tier, report)))
    if args.misses:
        print("\n".join(report.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
