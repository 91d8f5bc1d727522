"""Fingerprint every fast-tier output, to prove an engine change leaves the results byte for byte the same.

    python bench/redaction_fingerprint.py save /tmp/before.json     # before the change
    python bench/redaction_fingerprint.py check /tmp/before.json    # after it: counts of differences per source

Inputs: both corpora (tests/corpus/redaction, tests/corpus/real/{dev,test,fresh}, run the way
bench/redaction_eval.py runs them), every rule's examples, the linear-time test's seeds repeated to 4 KiB
(a few to 64 KiB), and seeded mixtures of slices of all of those. Each input is run through the Redactor
(value and findings) and through the bare engine, with every rule and with each rule alone. Only keyed
hashes are written and only counts printed: texts of the held-out splits never appear (the names of differing
inputs are listed for the sources that may be read: dev, the redaction corpus, examples, seeds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit" / "redaction"))

from redact import Redactor  # noqa: E402
from redact.engine import Engine  # noqa: E402
from redact.rules import DEFAULT_TOKENS, PATTERN_RULES  # noqa: E402
from redact.rules.paths import CODE_MARKERS  # noqa: E402

READABLE = ("redaction", "real/dev", "examples", "seeds", "seeds64")  # differences there may be named
MIXES = 2000


def _eval_module() -> Any:
    sys.path.insert(0, str(ROOT / "bench"))
    import redaction_eval

    return redaction_eval


def _repeat(seed: str, size: int) -> str:
    return (seed * (size // len(seed) + 1))[:size]


# A fixed list, not redaction_eval.SPLITS: a new split must not change saved fingerprints, and fresh2 (held out
# for a once-per-session measure) is not run through rules while they change, even for an identity check.
FINGERPRINT_SPLITS = ("dev", "test", "fresh")


def inputs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(source, name, case) where case has "text" and maybe "field" / "value" as redaction_eval reads them."""
    for path in sorted((ROOT / "tests" / "corpus" / "redaction").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                yield "redaction", case["id"], {"text": case["text"], "field": case.get("field")}
    ev = _eval_module()
    for split in FINGERPRINT_SPLITS:
        for case in ev.load(split):
            yield f"real/{split}", case["id"], case
    for rule in PATTERN_RULES:
        for i, text in enumerate(rule.matches + rule.must_not_match):
            yield "examples", f"{rule.id}#{i}", {"text": text, "field": None}
    from test_linear_time import SEEDS

    seeds = list(dict.fromkeys(SEEDS + tuple(x for r in PATTERN_RULES for x in r.matches)))
    for seed in seeds:
        yield "seeds", repr(seed), {"text": _repeat(seed, 4096), "field": None}
    for seed in ("a@b:", "PS C:\\", "/", "arn:aws:iam::", "lorem ipsum dolor sit amet ", "%a", "1."):
        yield "seeds64", repr(seed), {"text": _repeat(seed, 64 * 1024), "field": None}


def mixes(texts: list[str], n: int = MIXES) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Slices of corpus texts and examples glued with separators: rules meeting at odd boundaries."""
    rng = random.Random(18)
    glue = ["", " ", "\n", "/", "\\", ":", "@", ".", "-", "=", "'", '"', "\t", ", ", "://", "%40", "_"]
    for i in range(n):
        parts = []
        for _ in range(rng.randint(2, 6)):
            text = rng.choice(texts)
            a = rng.randint(0, max(0, len(text) - 1))
            parts.append(text[a : a + rng.randint(1, 400)])
            parts.append(rng.choice(glue))
        yield "mixes", str(i), {"text": "".join(parts), "field": None}


def fingerprints(quick: bool = False) -> Iterator[tuple[str, str, str]]:
    ev = _eval_module()
    redactor = Redactor()
    full = Engine(redactor._engine.enabled, DEFAULT_TOKENS, CODE_MARKERS)
    alone = {r.id: Engine(frozenset({r.id, *r.reports}), DEFAULT_TOKENS, CODE_MARKERS) for r in PATTERN_RULES}
    cases = [c for c in inputs() if not (quick and c[0] == "seeds64")]
    texts = [c["text"] for _, _, c in cases if len(c["text"]) < 8192]
    last, clock = "", time.perf_counter()
    for source, name, case in [*cases, *mixes(texts, 300 if quick else MIXES)]:
        if source != last:
            print(f"  {last or 'start'} done at {time.perf_counter() - clock:.0f} s", file=sys.stderr, flush=True)
            last = source
        h = hashlib.blake2b(digest_size=12)
        if case.get("field") is None:
            result = redactor.redact_text(case["text"], tier="fast")
            h.update(json.dumps([result.value, sorted(result.findings.items())]).encode("utf-8", "surrogatepass"))
        else:
            h.update(ev.redact(redactor, case, "fast").encode("utf-8", "surrogatepass"))
        ctx = full.context()
        out = full.scan(case["text"], ctx)
        h.update(json.dumps([out, sorted(ctx.findings.items())]).encode("utf-8", "surrogatepass"))
        yield source, name, h.hexdigest()
        if source in ("examples", "mixes") and not quick:
            h = hashlib.blake2b(digest_size=12)
            for engine in alone.values():
                ctx = engine.context()
                out = engine.scan(case["text"], ctx)
                h.update(json.dumps([out, sorted(ctx.findings.items())]).encode("utf-8", "surrogatepass"))
            yield source + "/alone", name, h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("save", "check"))
    ap.add_argument("file", type=Path)
    ap.add_argument("--quick", action="store_true", help="no per-rule engines, no 64 KiB seeds, 300 mixtures")
    args = ap.parse_args()
    start = time.perf_counter()
    now = {f"{s}\t{n}": h for s, n, h in fingerprints(args.quick)}
    took = time.perf_counter() - start
    if args.mode == "save":
        args.file.write_text(json.dumps(now, indent=0, sort_keys=True))
        print(f"saved {len(now)} fingerprints in {took:.0f} s")
        return 0
    before: dict[str, str] = json.loads(args.file.read_text())
    total: Counter[str] = Counter(k.split("\t")[0] for k in now)
    differ: Counter[str] = Counter()
    named: list[str] = []
    for key, h in now.items():
        if before.get(key) != h:
            source = key.split("\t")[0]
            differ[source] += 1
            if source.split("/alone")[0] in READABLE:
                named.append(key.replace("\t", " "))
    missing = len(set(before) - set(now))
    for source in sorted(total):
        print(f"  {source:<22} {differ[source]:5d} of {total[source]:5d} differ")
    print(f"{sum(differ.values())} differ, {missing} missing, {len(now)} checked in {took:.0f} s")
    for key in named[:40]:
        print("  differs:", key)
    return 1 if differ or missing else 0


if __name__ == "__main__":
    sys.exit(main())
