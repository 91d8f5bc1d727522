"""Fast-tier cost on 64 KiB strings, adversarial and ordinary (issue 18, item 3: under 50 ms each).

    python bench/redaction_adversarial.py [--size 65536] [--classes classic,runs,...]

Every seed of tests/unit/redaction/test_linear_time.py (and every rule's own examples) is repeated to --size,
grouped by class, plus ordinary text (lorem ipsum, real crash text from the dev split). For each string: the
whole fast tier (`Redactor.redact_text`), the engine's pattern scan alone, and a reference measured on the
same string in the same run: one simple pattern over it (`re.finditer(r"\\w+")`), so a slower or busier
machine shows in both. Prints per class the median and worst cost in ms and as a multiple of the reference,
then the worst strings. CPU time (process_time), best of --tries.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit" / "redaction"))

from test_linear_time import CLASSES, SEEDS  # noqa: E402

from redact import Redactor  # noqa: E402
from redact.rules import PATTERN_RULES  # noqa: E402

_WORD = re.compile(r"\w+")
LOREM = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "


def _repeat(seed: str, size: int) -> str:
    return (seed * (size // len(seed) + 1))[:size]


def classes(size: int) -> dict[str, list[tuple[str, str]]]:
    """Class name -> [(label, text)]."""
    runs = {*CLASSES, *(c + "a" for c in CLASSES), *(c * 2 + "a1" for c in CLASSES)}
    classic = [s for s in SEEDS if s not in runs]
    examples = list(dict.fromkeys(x for r in PATTERN_RULES for x in r.matches))
    real = []
    for path in sorted((ROOT / "tests" / "corpus" / "real" / "dev").glob("*.jsonl")):
        real.extend(json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line)
    crash = "\n".join(t for t in real if "\n" in t)
    return {
        "classic seeds": [(repr(s), _repeat(s, size)) for s in classic],
        "class runs": [(repr(s), _repeat(s, size)) for s in CLASSES],
        "class + letter": [(repr(s), _repeat(s, size)) for s in (c + "a" for c in CLASSES)],
        "class x2 + a1": [(repr(s), _repeat(s, size)) for s in (c * 2 + "a1" for c in CLASSES)],
        "rule examples": [(repr(s[:40]), _repeat(s, size)) for s in examples],
        "ordinary": [("lorem ipsum", _repeat(LOREM, size)), ("dev crash text", _repeat(crash, size))],
    }


def cost(fn: Callable[[str], object], text: str, tries: int) -> float:
    best = float("inf")
    for _ in range(tries):
        start = time.process_time()
        fn(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--tries", type=int, default=2)
    ap.add_argument("--classes", default="", help="comma-separated class names (default: all)")
    ap.add_argument("--worst", type=int, default=10)
    args = ap.parse_args()
    redactor = Redactor()
    engine = redactor._engine
    whole = lambda t: redactor.redact_text(t)  # noqa: E731
    scan = lambda t: engine.scan(t, engine.context())  # noqa: E731
    reference = lambda t: sum(1 for _ in _WORD.finditer(t))  # noqa: E731
    wanted = {c.strip() for c in args.classes.split(",") if c.strip()}
    rows = []
    print(f"{args.size // 1024} KiB strings; ms of CPU, best of {args.tries}; ref = re.finditer(r'\\w+') on the "
          f"same string")
    print(f"  {'class':<16} {'n':>3}  {'redact_text median/worst':>25}  {'engine scan median/worst':>25}"
          f"  {'ref median':>10}  {'worst/ref':>9}")
    for name, items in classes(args.size).items():
        if wanted and name not in wanted:
            continue
        got = []
        for label, text in items:
            whole(text)  # warm the engine's compiled sets for this text
            got.append((cost(whole, text, args.tries), cost(scan, text, args.tries), cost(reference, text, 3), label))
        rows.extend((w, s, r, name, label) for w, s, r, label in got)
        ws, ss, rs = ([g[i] for g in got] for i in range(3))
        worst = max(got)
        print(f"  {name:<16} {len(got):>3}  {statistics.median(ws):11.1f} / {max(ws):11.1f}  "
              f"{statistics.median(ss):11.1f} / {max(ss):11.1f}  {statistics.median(rs):10.2f}  "
              f"{worst[0] / worst[2]:8.0f}x", flush=True)
    rows.sort(reverse=True)
    over = sum(1 for r in rows if r[0] > 50)
    print(f"worst {args.worst} (redact_text ms, engine scan ms, ref ms); {over} of {len(rows)} strings over 50 ms:")
    for w, s, r, name, label in rows[: args.worst]:
        print(f"  {w:8.1f} {s:8.1f} {r:6.2f}  {name:<16} {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
