"""Re-scrub job at scale, against the de-identify rewrite of the same partitions in the same run.

    .venv/bin/python bench/rescrub_bench.py                          # 10 million events over 30 days
    .venv/bin/python bench/rescrub_bench.py --rows 1000000 --leak-percent 100

The store is deletions_store's (10M events over 30 days, one crash per 100 events), every row stored before
versioning (redaction_version 0), so every day is re-scrubbed. --leak-percent of the events get a home path in a
`path` prop (a mutation after the build) that the current rules rewrite; the others come back unchanged and are
only re-stamped. The pair, on the same partitions, one after the other in this process (chDB embedded):
1. de-identify (the reference: the same stage, copy and swap, all in ClickHouse), with a clock 40 days ahead so
   every day is past its threshold;
2. re-scrub (rows read into Python, re-redacted with the collector's rules, changed rows patched in);
3. re-scrub again: every day is current (the ledger), nothing is read.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from deletions_store import build  # noqa: E402

from ingest.stages.rescrub import Reredaction  # noqa: E402
from redact import Redactor  # noqa: E402
from storage.clickhouse.client import ClickHouseStore, open_client  # noqa: E402
from storage.clickhouse.migrate import migrate  # noqa: E402
from storage.jobs import JobContext, JobResult, LockOptions, RetentionPolicy, run_job  # noqa: E402
from storage.objects import LocalObjectStore  # noqa: E402

PLANT = """
ALTER TABLE {db}.events UPDATE props_str = mapUpdate(props_str, map('path',
    concat('/home/', lower(hex(cityHash64(event_id) % 100000)), '/notes/plan.md')))
WHERE cityHash64(event_id) % 100 < {percent} SETTINGS mutations_sync = 2
"""


def rate(result: JobResult) -> str:
    rows, seconds = sum(result.rows.values()), float(result.details["seconds"])  # type: ignore[arg-type]
    return f"{rows:,} rows in {seconds:.1f} s = {rows / seconds if seconds else 0:,.0f} rows/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--leak-percent", type=int, default=10)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rescrub-bench-"))
    try:
        store = ClickHouseStore(open_client(f"chdb://{root / 'ch'}", root), "bench")
        migrate(store)
        build(store, args.rows, args.days)
        started = time.monotonic()
        store.command(PLANT.format(db="bench", percent=args.leak_percent))
        leaks = store.query("SELECT countIf(props_str['path'] LIKE '/home/%') FROM bench.events").rows[0][0]
        print(f"planted a home path in {leaks:,} events ({args.leak_percent}%) in {time.monotonic() - started:.1f} s")
        objects = LocalObjectStore(root / "objects")
        lock = LockOptions(settle_s=0.0)
        ahead = datetime.now(UTC) + timedelta(days=40)  # every day past the 30-day de-identify threshold
        reference = run_job("deidentify", JobContext(store, objects, RetentionPolicy(), lambda: ahead,
                                                     lambda done, total: None), holder="bench", lock=lock)
        print(f"de-identify (reference): {rate(reference)} in {reference.details['partitions']} partitions")
        started = time.monotonic()
        rules = Reredaction(Redactor())
        rules.attachment("warm up the deep tier")  # loads the NER model, as the first crash text would
        print(f"rules ready (deep-tier model loaded) in {time.monotonic() - started:.1f} s, outside the timing")
        ctx = JobContext(store, objects, RetentionPolicy(), lambda: datetime.now(UTC), lambda done, total: None,
                         reredactor=rules)
        result = run_job("rescrub", ctx, holder="bench", lock=lock)
        print(f"re-scrub: {rate(result)} in {result.details['partitions']} partitions; changed "
              f"{result.details['changed']}; in Python (read, re-redact, patch) {result.details['python_seconds']} s")
        ratio = float(reference.details["seconds"]) / float(result.details["seconds"])  # type: ignore[arg-type]
        print(f"re-scrub speed / de-identify speed on the same rows: {ratio:.2f}")
        left = store.query("SELECT countIf(props_str['path'] LIKE '/home/%'), min(redaction_version) "
                           "FROM bench.events").rows[0]
        print(f"after: events still holding a home path {left[0]}, lowest redaction_version {left[1]}")
        again = run_job("rescrub", ctx, holder="bench", lock=lock)
        print(f"second re-scrub: {again.rows} rows in {again.details['seconds']} s (every day current)")
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
