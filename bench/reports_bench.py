"""Reports at scale: generate N events for I installs over D days in chDB, time each report from rollups and raw rows.

    .venv/bin/python bench/reports_bench.py                          # 50 million events, 200k installs, 90 days
    .venv/bin/python bench/reports_bench.py --events 5000000 --raw-limit 60

Events, and crashes (one per --crash-every events, in sessions of the same install and day), are generated inside
ClickHouse (INSERT ... SELECT FROM numbers(N)) in blocks, so the materialized views fill the rollups as they
would at intake; the timings start once background merges have settled, as they would in steady state. Queries
run with the settings every report query gets (readonly, final=1), each report from the rollups and from raw
rows; a raw query is stopped after --raw-limit seconds. The per-install rollup's TTL (the events'
de-identification threshold, 30 days by default) is set past the generated days, as a deployment keeping
identifiable events that long would have it. The data lives in a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clickhouse_connect.driver.exceptions import ClickHouseError

from ingest.reports.registry import prepare
from storage.clickhouse.client import READ_SETTINGS, ClickHouseStore, open_client
from storage.clickhouse.migrate import migrate
from storage.jobs.policy import RetentionPolicy
from storage.jobs.ttl import sync_ttl
from storage.trailing import refresh_trailing

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
CRASHES = f"""
INSERT INTO {{db}}.crashes (crash_id, install_id, ts, received_at, app, app_version, os, fingerprint)
SELECT generateUUIDv4(number), toUUID(concat({HEX.format(n="i")}, '-0000-4000-8000-000000000000')),
       now64(3) - toIntervalDay(d) - toIntervalSecond(number % 86400), now64(3), 'interpreter',
       ['1.4.2', '1.5.0', '1.6.0'][i % 3 + 1], ['macos', 'windows', 'linux'][i % 3 + 1], 'f' || toString(number % 50)
FROM (SELECT number, cityHash64(number, 2) % {{installs}} AS i, cityHash64(number, 3) % {{days}} AS d
      FROM numbers({{count}}))
"""
CASES = [("trends", {}), ("trends", {"breakdown": "mode"}), ("trends", {"interval": "week"}), ("top-events", {}),
         ("active", {}), ("active", {"interval": "week"}), ("active", {"event": "editor.opened"}),
         ("retention", {"interval": "week"}), ("retention", {"interval": "week", "event": "search.run"}),
         ("crash-free", {})]
RAW_ONLY = [("funnel", {"steps": "app.started,editor.opened,file.saved"})]
TABLES = ("events", "crashes", "rollup_events_daily", "rollup_props_daily", "rollup_active_daily",
          "rollup_active_trailing", "rollup_install_weeks", "rollup_crashes_daily")


def settle(store: ClickHouseStore, limit_s: float = 600) -> float:
    """Wait until no background merge runs (parts of the last inserts merged, as they are in steady state)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s and store.query(
            "SELECT count() FROM system.merges WHERE database = 'bench'", read_only=False).rows[0][0]:
        time.sleep(1)
    return time.monotonic() - started


def timed(store: ClickHouseStore, name: str, raw: dict[str, str], days: int, limit: int) -> str:
    """Seconds (and rows) of one report query, or `> limit` when ClickHouse stopped it."""
    spec, params = prepare(name, {"since": f"{days}d", **raw}, ["mode", "theme", "locale"])
    started = time.monotonic()
    try:
        result = store.client.query(spec.build(params, store.database),
                                    settings=READ_SETTINGS | {"max_execution_time": limit})
    except ClickHouseError as exc:
        if "TIMEOUT_EXCEEDED" not in str(exc):
            raise
        return f"> {limit}"
    return f"{time.monotonic() - started:.2f} ({len(result.result_rows)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--installs", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--crash-every", type=int, default=500, help="one crash per this many events")
    parser.add_argument("--raw-limit", type=int, default=300, help="seconds before a raw query is stopped")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    try:
        store = ClickHouseStore(open_client(f"chdb://{workdir}/ch", workdir), "bench")
        migrate(store)
        keep = args.days + 14  # the per-install rollup must keep every generated week
        sync_ttl(store, RetentionPolicy(events_deidentify_days=keep, events_delete_days=keep + 1))
        started = time.monotonic()
        for start in range(0, args.events, BLOCK):
            store.command(GENERATE.format(db="bench", installs=args.installs, days=args.days, start=start,
                                          count=min(BLOCK, args.events - start)))
        store.command(CRASHES.format(db="bench", installs=args.installs, days=args.days,
                                     count=args.events // args.crash_every))
        print(f"generated {args.events:,} events and {args.events // args.crash_every:,} crashes "
              f"({args.installs:,} installs, {args.days} days) with rollups in {time.monotonic() - started:.1f} s; "
              f"background merges settled {settle(store):.0f} s later")
        # The trailing-window rollup is the writer's to refresh (storage/trailing.py): what each kind costs.
        today = datetime.now(UTC).date()
        for label, back in (("every generated day", args.days), ("30 days (late events)", 30),
                            ("today and yesterday", 1)):
            started = time.monotonic()
            refresh_trailing(store, today - timedelta(days=back), today + timedelta(days=1))
            print(f"  trailing refresh, {label}: {time.monotonic() - started:.2f} s")
        for table in TABLES:
            rows, size = store.query(f"SELECT sum(rows), formatReadableSize(sum(bytes_on_disk)) FROM system.parts "
                                     f"WHERE database = 'bench' AND table = '{table}' AND active",
                                     read_only=False).rows[0]
            print(f"  {table:<24} {rows:>12,} rows {size:>12}")
        print(f"{'report':<40} {'rollup s (rows)':>16} {'raw s (rows)':>16}")
        for name, raw in CASES:
            rollup = timed(store, name, raw | {"source": "rollup"}, args.days, args.raw_limit)
            direct = timed(store, name, raw | {"source": "raw"}, args.days, args.raw_limit)
            print(f"{name + ' ' + ','.join(f'{k}={v}' for k, v in raw.items()):<40} {rollup:>16} {direct:>16}")
        for name, raw in RAW_ONLY:
            direct = timed(store, name, raw, args.days, args.raw_limit)
            print(f"{name + ' ' + ','.join(f'{k}={v}' for k, v in raw.items()):<40} {'-':>16} {direct:>16}")
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
