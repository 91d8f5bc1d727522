"""Reports at scale: generate N events for I installs over D days in chDB, time each report from rollups and raw rows.

    .venv/bin/python bench/reports_bench.py                          # 50 million events, 200k installs, 90 days
    .venv/bin/python bench/reports_bench.py --events 10000000

Events are generated inside ClickHouse (INSERT ... SELECT FROM numbers(N)) in blocks, so the materialized views
fill the rollups as they would at intake. Queries run with the settings every report query gets (readonly,
final=1). The data lives in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from ingest.reports.registry import prepare
from storage.clickhouse import ClickHouseStore, open_client
from storage.migrate import migrate

BLOCK = 5_000_000
HEX = "leftPad(lower(hex(toUInt32({n}))), 8, '0')"
GENERATE = f"""
INSERT INTO {{db}}.events (event_id, install_id, session_id, name, ts, app, app_version, os, props_str)
SELECT generateUUIDv4(number), toUUID(concat({HEX.format(n="i")}, '-0000-4000-8000-000000000000')),
       toUUID(concat({HEX.format(n="i")}, '-0000-4000-8000-', leftPad(toString(d), 12, '0'))),
       ['app.started', 'editor.opened', 'file.saved', 'search.run', 'settings.changed'][number % 5 + 1],
       now64(3) - toIntervalDay(d) - toIntervalSecond(number % 86400),
       'interpreter', ['1.4.2', '1.5.0', '1.6.0'][i % 3 + 1], ['macos', 'windows', 'linux'][i % 3 + 1],
       map('mode', ['split', 'single'][number % 2 + 1], 'theme', ['dark', 'light'][i % 2 + 1])
FROM (SELECT number, cityHash64(number) % {{installs}} AS i, cityHash64(number, 1) % {{days}} AS d
      FROM numbers({{start}}, {{count}}))
SETTINGS max_partitions_per_insert_block = 1000
"""
CASES = [("trends", {}), ("trends", {"breakdown": "mode"}), ("trends", {"interval": "week"}), ("active", {})]
RAW_ONLY = [("retention", {"interval": "week"}), ("funnel", {"steps": "app.started,editor.opened,file.saved"}),
            ("crash-free", {})]


def timed(store: ClickHouseStore, name: str, raw: dict[str, str], days: int) -> tuple[float, int]:
    spec, params = prepare(name, {"since": f"{days}d", **raw}, ["mode", "theme", "locale"])
    started = time.monotonic()
    rows = store.query(spec.build(params, store.database)).rows
    return time.monotonic() - started, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--installs", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    try:
        store = ClickHouseStore(open_client(f"chdb://{workdir}/ch", workdir), "bench")
        migrate(store)
        started = time.monotonic()
        for start in range(0, args.events, BLOCK):
            store.command(GENERATE.format(db="bench", installs=args.installs, days=args.days, start=start,
                                          count=min(BLOCK, args.events - start)))
        print(f"generated {args.events:,} events ({args.installs:,} installs, {args.days} days) with rollups "
              f"in {time.monotonic() - started:.1f} s")
        for table in ("events", "rollup_events_daily", "rollup_props_daily", "rollup_active_daily"):
            rows = store.query(f"SELECT sum(rows) FROM system.parts WHERE database = 'bench' AND table = '{table}' "
                               "AND active", read_only=False).rows[0][0]
            print(f"  {table:<20} {rows:>12,} rows")
        print(f"{'report':<32} {'rollup s':>9} {'raw s':>9} rows")
        for name, raw in CASES:
            rollup, rows = timed(store, name, raw | {"source": "rollup"}, args.days)
            direct, _ = timed(store, name, raw | {"source": "raw"}, args.days)
            print(f"{name + ' ' + ','.join(raw):<32} {rollup:>9.2f} {direct:>9.2f} {rows}")
        for name, raw in RAW_ONLY:
            direct, rows = timed(store, name, raw, args.days)
            print(f"{name + ' ' + ','.join(raw):<32} {'-':>9} {direct:>9.2f} {rows}")
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
