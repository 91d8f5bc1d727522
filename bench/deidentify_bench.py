"""De-identify job at scale: generate N event rows in embedded ClickHouse over D days, rewrite them all, print figures.

    .venv/bin/python bench/deidentify_bench.py                      # 10 million rows over 60 days
    .venv/bin/python bench/deidentify_bench.py --rows 1000000 --days 10

Rows are generated inside ClickHouse (INSERT ... SELECT ... FROM numbers(N)), dated 31 to 31 + D days ago so every
day is past the default 30-day threshold and none past the 180-day TTL. The engine runs in this process (chDB), so
the peak resident memory sampled during the job is the engine's too. The data lives in a temporary directory that
is removed at the end.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from storage.clickhouse.client import ClickHouseStore, open_client
from storage.clickhouse.migrate import migrate
from storage.jobs import JobContext, LockOptions, RetentionPolicy, run_job
from storage.objects import LocalObjectStore

GENERATE = """
INSERT INTO {db}.events (event_id, install_id, session_id, name, ts, received_at, app, app_version, os,
                         os_version, device_type, policy_version, props_str, props_num, props_bool, redactions)
SELECT generateUUIDv4(number), generateUUIDv4(number + 1), generateUUIDv4(number + 2),
       ['editor.opened', 'file.saved', 'app.started', 'search.run', 'settings.changed'][number % 5 + 1],
       now64(3) - toIntervalDay(31 + number % {days}) - toIntervalMillisecond(rand() % 86400000),
       now64(3) - toIntervalDay(31 + number % {days}),
       'interpreter', ['1.4.2', '1.5.0'][number % 2 + 1], ['macos', 'windows', 'linux'][number % 3 + 1], '15.1',
       'laptop', '2026-01-21', map('mode', 'split'), map('duration_ms', toFloat64(number % 5000)),
       map('ok', number % 7 != 0), map()
FROM numbers({rows})
SETTINGS max_partitions_per_insert_block = 1000
"""


class PeakRss:
    """Samples this process's resident set (VmRSS) every 20 ms; chDB's engine lives in the same process."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes())


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def summary(store: ClickHouseStore) -> list[list[object]]:
    return store.query(f"SELECT count(), countIf(install_id != toUUID('00000000-0000-0000-0000-000000000000')), "
                       f"uniqExact(toDate(ts)) FROM {store.database}.events").rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="deid-bench-"))
    try:
        store = ClickHouseStore(open_client(f"chdb://{root / 'ch'}", root), "bench")
        migrate(store)
        started = time.monotonic()
        store.command(GENERATE.format(db="bench", days=args.days, rows=args.rows))
        print(f"generated {args.rows:,} rows over {args.days} days in {time.monotonic() - started:.1f} s; "
              f"rows, identifiable, days = {summary(store)[0]}")
        marks: list[float] = []
        ctx = JobContext(store, LocalObjectStore(root / "objects"), RetentionPolicy(), lambda: datetime.now(UTC),
                         lambda done, total: marks.append(time.monotonic()))
        baseline = rss_bytes()
        with PeakRss() as memory:
            result = run_job("deidentify", ctx, holder="bench", lock=LockOptions(settle_s=0.0))
        seconds = float(result.details["seconds"])  # type: ignore[arg-type]
        per_partition = [b - a for a, b in zip(marks, marks[1:], strict=False)]
        rows = sum(result.rows.values())
        print(f"de-identified {rows:,} rows in {result.details['partitions']} partitions: {seconds:.1f} s, "
              f"{rows / seconds:,.0f} rows/s")
        print(f"seconds per partition: mean {statistics.mean(per_partition):.3f}, "
              f"median {statistics.median(per_partition):.3f}, max {max(per_partition):.3f}")
        print(f"process RSS (the engine included): {baseline / 2**20:,.0f} MiB before the job, peak "
              f"{memory.peak / 2**20:,.0f} MiB during it; process peak so far (generation included) "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
        print(f"after: rows, identifiable, days = {summary(store)[0]}")
        again = run_job("deidentify", ctx, holder="bench", lock=LockOptions(settle_s=0.0))
        print(f"second run: {again.rows} rows in {again.details['seconds']} s (every day already done)")
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
