"""Quality of the fast redaction tier, measured on an independent labelled corpus.

The corpus lives in ``tests/corpus/redaction/*.jsonl`` (conventions in the README
there).  It was written without looking at the rules in ``redact/`` so the figures
measure how well the rules generalise, not how well they fit their own examples.

Only the public API is used::

    Redactor().redact_text(text, field=field, tier="fast") -> .value, .findings

Metrics
  * recall per type: a sensitive span is *caught* when it no longer occurs verbatim
    anywhere in the output;
  * keep-rate: share of ``keep`` strings (exception names, line numbers, code paths,
    error codes, ...) of positive cases that still occur in the output;
  * unchanged-rate: share of negative cases whose output equals the input exactly.

The floors below are the acceptance bar.  Do not lower them to make a run pass;
report the figures instead.
"""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

import pytest

FLOORS: dict[str, float] = {
    # recall per sensitive type
    "user_path": 0.90,
    "file_name": 0.90,
    "email": 0.90,
    "ip": 0.90,
    "mac": 0.90,
    "hostname": 0.90,
    "secret": 0.90,
    "card": 0.90,
    "iban": 0.90,
    "ssn": 0.90,
    "phone": 0.90,
    "content": 0.90,
    # precision-like figures
    "keep_rate": 0.95,
    "unchanged_rate": 0.95,
}

TYPES: tuple[str, ...] = tuple(k for k in FLOORS if not k.endswith("_rate"))
CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus" / "redaction"
REQUIRED_KEYS = ("id", "source", "os", "field", "text", "sensitive", "keep")
OS_VALUES = {"macos", "linux", "windows", "wsl", "android", "ios", "any"}
MIN_CASES = 300
MIN_SPANS_PER_TYPE = 8  # below this a recall figure is noise
MAX_LISTED = 12  # misses listed per section in the printed report


# --------------------------------------------------------------------------- corpus


def _corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def _load() -> tuple[list[dict], list[str]]:
    """All cases plus a list of problems found while parsing."""
    cases: list[dict] = []
    problems: list[str] = []
    for path in _corpus_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                problems.append(f"{path.name}:{lineno}: blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path.name}:{lineno}: not JSON: {exc}")
                continue
            if not isinstance(obj, dict):
                problems.append(f"{path.name}:{lineno}: not an object")
                continue
            obj["_where"] = f"{path.name}:{lineno}"
            cases.append(obj)
    return cases, problems


def _is_negative(case: dict) -> bool:
    return case.get("unchanged") is True


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(raw: str) -> bool:
    s = raw.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit() or not s.isalnum():
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _case_problems(case: dict) -> list[str]:
    where = f"{case.get('_where')} ({case.get('id')})"
    out: list[str] = []
    missing = [k for k in REQUIRED_KEYS if k not in case]
    if missing:
        return [f"{where}: missing keys {missing}"]
    text, sens, keep = case["text"], case["sensitive"], case["keep"]
    if not isinstance(case["id"], str) or not case["id"]:
        out.append(f"{where}: id must be a non-empty string")
    if not isinstance(case["source"], str) or not case["source"]:
        out.append(f"{where}: source must be a non-empty string")
    if case["os"] not in OS_VALUES:
        out.append(f"{where}: os {case['os']!r} not in {sorted(OS_VALUES)}")
    if case["field"] is not None and (not isinstance(case["field"], str) or not case["field"]):
        out.append(f"{where}: field must be null or a non-empty string")
    if not isinstance(text, str) or not text:
        out.append(f"{where}: text must be a non-empty string")
        return out
    if not isinstance(sens, list) or not isinstance(keep, list):
        out.append(f"{where}: sensitive and keep must be lists")
        return out
    if "unchanged" in case and not isinstance(case["unchanged"], bool):
        out.append(f"{where}: unchanged must be a boolean")
    if _is_negative(case):
        if sens:
            out.append(f"{where}: a negative (unchanged: true) has sensitive spans")
        if keep not in ([], [text]):
            out.append(f"{where}: a negative's keep must be [] or [text]")
    elif not sens:
        out.append(f"{where}: no sensitive spans but not marked unchanged: true")
    for item in sens:
        if not isinstance(item, dict) or set(item) != {"span", "type"}:
            out.append(f"{where}: sensitive item must be {{span, type}}: {item!r}")
            continue
        span, typ = item["span"], item["type"]
        if typ not in TYPES:
            out.append(f"{where}: unknown type {typ!r}")
        if not isinstance(span, str) or not span.strip():
            out.append(f"{where}: empty span")
            continue
        if span not in text:
            out.append(f"{where}: span {span!r} does not occur verbatim in text")
        for k in keep:
            if isinstance(k, str) and span in k:
                out.append(f"{where}: span {span!r} lies inside keep string {k!r} (contradiction)")
        if typ == "card":
            digits = "".join(c for c in span if c.isdigit())
            if not (13 <= len(digits) <= 19 and _luhn_ok(digits)) or any(c not in "0123456789 -" for c in span):
                out.append(f"{where}: card span {span!r} is not a Luhn-valid number")
        if typ == "iban" and not _iban_ok(span):
            out.append(f"{where}: iban span {span!r} fails the mod-97 checksum")
    # every keep string must occur outside all sensitive spans, or it cannot survive
    masked = text
    for item in sorted((s for s in sens if isinstance(s, dict) and isinstance(s.get("span"), str) and s["span"]),
                       key=lambda s: -len(s["span"])):
        masked = masked.replace(item["span"], "\x00")
    for k in keep:
        if not isinstance(k, str) or not k:
            out.append(f"{where}: keep strings must be non-empty strings")
        elif k not in text:
            out.append(f"{where}: keep {k!r} does not occur in text")
        elif k not in masked and not _is_negative(case):
            out.append(f"{where}: keep {k!r} only occurs inside a sensitive span")
    return out


CASES, PARSE_PROBLEMS = _load()


def test_corpus_lines_are_well_formed() -> None:
    problems = list(PARSE_PROBLEMS)
    if not _corpus_files():
        problems.append(f"no *.jsonl files under {CORPUS_DIR}")
    seen: dict[str, str] = {}
    for case in CASES:
        problems.extend(_case_problems(case))
        cid = case.get("id")
        if isinstance(cid, str):
            if cid in seen:
                problems.append(f"duplicate id {cid!r}: {seen[cid]} and {case['_where']}")
            seen[cid] = case["_where"]
    assert not problems, "corpus problems:\n" + "\n".join(problems)


def test_corpus_size_and_balance() -> None:
    n = len(CASES)
    negatives = sum(1 for c in CASES if _is_negative(c))
    assert n >= MIN_CASES, f"only {n} cases (need >= {MIN_CASES})"
    assert negatives * 2 >= n, f"only {negatives}/{n} negatives (need >= 50%)"
    per_type = collections.Counter(s["type"] for c in CASES for s in c.get("sensitive", []))
    thin = {t: per_type.get(t, 0) for t in TYPES if per_type.get(t, 0) < MIN_SPANS_PER_TYPE}
    assert not thin, f"types with fewer than {MIN_SPANS_PER_TYPE} labelled spans: {thin}"


# ----------------------------------------------------------------------- evaluation


@dataclass(repr=False)
class Evaluation:
    caught: collections.Counter = dc_field(default_factory=collections.Counter)
    total: collections.Counter = dc_field(default_factory=collections.Counter)
    missed: dict = dc_field(default_factory=lambda: collections.defaultdict(list))
    keep_total: int = 0
    keep_kept: int = 0
    lost_keeps: list = dc_field(default_factory=list)
    neg_total: int = 0
    neg_clean: int = 0
    neg_no_findings: int = 0
    dirty_negatives: list = dc_field(default_factory=list)
    phantom_findings: list = dc_field(default_factory=list)  # unchanged output, non-empty findings
    uncounted_changes: list = dc_field(default_factory=list)  # changed output, no findings
    errors: list = dc_field(default_factory=list)

    def __repr__(self) -> str:  # keep pytest's failure output short
        return f"Evaluation({sum(self.total.values())} spans, {self.keep_total} keeps, {self.neg_total} negatives)"

    def recall(self, typ: str) -> float:
        return self.caught[typ] / self.total[typ] if self.total[typ] else 1.0

    @property
    def keep_rate(self) -> float:
        return self.keep_kept / self.keep_total if self.keep_total else 1.0

    @property
    def unchanged_rate(self) -> float:
        return self.neg_clean / self.neg_total if self.neg_total else 1.0

    @property
    def no_findings_rate(self) -> float:
        return self.neg_no_findings / self.neg_total if self.neg_total else 1.0


def _short(s: str, n: int = 90) -> str:
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 1] + "…"


def _count(findings) -> int:
    if not findings:
        return 0
    return sum(int(v) for v in dict(findings).values())


def _report(ev: Evaluation) -> str:
    lines = ["", "=" * 72, f"redaction corpus: {len(CASES)} cases, {ev.neg_total} negatives, tier=fast", "-" * 72,
             f"{'type':<12}{'n':>6}{'caught':>8}{'recall':>9}{'floor':>8}"]
    for t in TYPES:
        flag = "" if ev.recall(t) >= FLOORS[t] else "  <-- below floor"
        lines.append(f"{t:<12}{ev.total[t]:>6}{ev.caught[t]:>8}{ev.recall(t):>9.3f}{FLOORS[t]:>8.2f}{flag}")
    lines.append("-" * 72)
    for name, value, num, den in (("keep_rate", ev.keep_rate, ev.keep_kept, ev.keep_total),
                                  ("unchanged_rate", ev.unchanged_rate, ev.neg_clean, ev.neg_total)):
        flag = "" if value >= FLOORS[name] else "  <-- below floor"
        lines.append(f"{name:<16}{value:>7.3f}  ({num}/{den}, floor {FLOORS[name]:.2f}){flag}")
    lines.append(f"{'negatives w/o findings':<16} {ev.no_findings_rate:.3f}  ({ev.neg_no_findings}/{ev.neg_total})")
    if ev.errors:
        lines.append(f"engine errors: {len(ev.errors)}")
        lines += [f"  {e}" for e in ev.errors[:MAX_LISTED]]
    for t in TYPES:
        if ev.missed[t]:
            lines.append(f"missed {t} ({len(ev.missed[t])}):")
            lines += [f"  {m}" for m in ev.missed[t][:MAX_LISTED]]
    for title, items in (("keep strings lost", ev.lost_keeps), ("negatives changed", ev.dirty_negatives),
                         ("unchanged output but findings reported", ev.phantom_findings),
                         ("changed output but no findings", ev.uncounted_changes)):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {m}" for m in items[:MAX_LISTED]]
    lines.append("=" * 72)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def evaluation(request) -> Evaluation:
    from redact import Redactor  # imported here so the corpus checks run without an engine

    redactor = Redactor()
    ev = Evaluation()
    for case in CASES:
        text = case["text"]
        try:
            res = redactor.redact_text(text, field=case["field"], tier="fast")
            out, findings = res.value, res.findings
            if not isinstance(out, str):
                raise TypeError(f".value is {type(out).__name__}, not str")
            n_found = _count(findings)
        except Exception as exc:  # noqa: BLE001 - recorded and reported, counted as a failure
            ev.errors.append(f"{case['id']}: {type(exc).__name__}: {_short(str(exc))}")
            out, n_found = None, 0
        if _is_negative(case):
            ev.neg_total += 1
            clean = out == text
            ev.neg_clean += clean
            ev.neg_no_findings += out is not None and n_found == 0
            if not clean:
                ev.dirty_negatives.append(f"{case['id']}: {_short(text)!r} -> {_short(out or '<error>')!r}")
            elif n_found:
                ev.phantom_findings.append(f"{case['id']}: {dict(findings)}")
            continue
        seen = out if out is not None else text
        for item in case["sensitive"]:
            t = item["type"]
            ev.total[t] += 1
            if out is not None and item["span"] not in out:
                ev.caught[t] += 1
            else:
                ev.missed[t].append(f"{case['id']}: {_short(item['span'], 60)!r}")
        for k in case["keep"]:
            ev.keep_total += 1
            if out is not None and k in out:
                ev.keep_kept += 1
            else:
                ev.lost_keeps.append(f"{case['id']}: {_short(k, 60)!r} -> {_short(seen, 100)!r}")
        if out is not None and out != text and n_found == 0:
            ev.uncounted_changes.append(f"{case['id']}")

    _show(request, _report(ev))
    return ev


def _show(request, report: str) -> None:
    """Write the report to the terminal even while output capturing is on (no -s needed)."""
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capman = plugins.get_plugin("capturemanager")
    if reporter is None or capman is None:  # pragma: no cover - pytest without a terminal
        print(report)
        return
    with capman.global_and_fixture_disabled():
        reporter.ensure_newline()
        for line in report.splitlines():
            reporter.write_line(line)


@pytest.mark.parametrize("typ", TYPES)
def test_recall_per_type(evaluation: Evaluation, typ: str) -> None:
    r = evaluation.recall(typ)
    assert r >= FLOORS[typ], (
        f"{typ} recall {r:.3f} ({evaluation.caught[typ]}/{evaluation.total[typ]}) "
        f"below floor {FLOORS[typ]:.2f}; missed:\n"
        + "\n".join(evaluation.missed[typ][:40]))


def test_keep_rate(evaluation: Evaluation) -> None:
    assert evaluation.keep_rate >= FLOORS["keep_rate"], (
        f"keep-rate {evaluation.keep_rate:.3f} ({evaluation.keep_kept}/{evaluation.keep_total}) below floor "
        f"{FLOORS['keep_rate']:.2f}; lost:\n" + "\n".join(evaluation.lost_keeps[:40]))


def test_unchanged_rate(evaluation: Evaluation) -> None:
    assert evaluation.unchanged_rate >= FLOORS["unchanged_rate"], (
        f"unchanged-rate {evaluation.unchanged_rate:.3f} ({evaluation.neg_clean}/{evaluation.neg_total}) below floor "
        f"{FLOORS['unchanged_rate']:.2f}; changed:\n" + "\n".join(evaluation.dirty_negatives[:40]))


def test_negative_findings_empty(evaluation: Evaluation) -> None:
    """A negative must report no findings.

    Strict where it is unambiguous: a negative that came through unchanged must not
    report findings (a rule counted something it did not redact).  Over all negatives
    the share with empty findings must meet the same floor as the unchanged-rate
    (a changed negative is already charged there).
    """
    assert not evaluation.phantom_findings, (
        "unchanged negatives reporting findings:\n" + "\n".join(evaluation.phantom_findings[:40]))
    assert evaluation.no_findings_rate >= FLOORS["unchanged_rate"], (
        f"only {evaluation.neg_no_findings}/{evaluation.neg_total} negatives have empty findings")


def test_every_change_is_counted(evaluation: Evaluation) -> None:
    """DESIGN.md: every redaction is counted per rule, so a changed output needs a finding."""
    assert not evaluation.uncounted_changes, (
        "output changed but findings are empty: " + ", ".join(evaluation.uncounted_changes[:40]))


def test_engine_raises_on_no_case(evaluation: Evaluation) -> None:
    assert not evaluation.errors, "redact_text raised:\n" + "\n".join(evaluation.errors[:40])
