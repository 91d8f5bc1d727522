"""Trailing-window active rollup (rollup_active_trailing): refreshed from the daily sketches, not at insert.

Each report day's row holds the installs active on that day (dau), over its last 7 days (wau) and 30 days (mau),
and its sessions. Merging each insert into the 30 rows it counts toward cost the writer 2-9 us per event
(bench/insert_bench.py), more than the events table itself; re-merging a day's row from the daily sketches
costs the same whatever the traffic. Appending a recomputed row is safe: the table is an AggregatingMergeTree of
distinct-count sketches, and a sketch merged with a copy of itself, or with a subset of itself, is unchanged,
so a refresh can run any number of times and never needs to delete the row it supersedes."""

from __future__ import annotations

from datetime import date, timedelta

from storage.clickhouse.client import ClickHouseStore, day

WINDOW_DAYS = 30  # the longest trailing window (mau); a daily sketch counts toward this many report days


def refresh_sql(database: str, first: date, last: date) -> str:
    """Recompute the rows of report days first..last from the daily rollups (which the insert views fill)."""
    since = first - timedelta(days=WINDOW_DAYS - 1)
    days = f"day BETWEEN {day(since)} AND {day(last)}"
    # Per release ('' = any release) with sessions from rollup_active_daily; per event name from
    # rollup_events_daily (no session sketch there: no report reads sessions per event name).
    daily = (f"SELECT day, app, app_version, '' AS name, uniqCombinedMergeState(installs) AS day_installs, "
             f"uniqCombinedMergeState(sessions) AS day_sessions FROM {database}.rollup_active_daily WHERE {days} "
             "GROUP BY GROUPING SETS ((day, app, app_version), (day, app))\n"
             f"UNION ALL\nSELECT day, app, '' AS app_version, name, uniqCombinedMergeState(installs) AS day_installs, "
             f"uniqCombinedMergeStateIf(installs, 0) AS day_sessions FROM {database}.rollup_events_daily WHERE {days} "
             "GROUP BY day, app, name")
    return (f"INSERT INTO {database}.rollup_active_trailing (day, app, app_version, name, dau, wau, mau, sessions)\n"
            "SELECT day + shift AS report_day, app, app_version, name,\n"
            "  uniqCombinedMergeStateIf(day_installs, shift = 0), uniqCombinedMergeStateIf(day_installs, shift < 7),\n"
            "  uniqCombinedMergeState(day_installs), uniqCombinedMergeStateIf(day_sessions, shift = 0)\n"
            f"FROM ({daily})\nARRAY JOIN range({WINDOW_DAYS}) AS shift\n"
            f"WHERE report_day BETWEEN {day(first)} AND {day(last)}\n"
            "GROUP BY report_day, app, app_version, name")


def refresh_trailing(store: ClickHouseStore, first: date, last: date) -> None:
    store.command(refresh_sql(store.database, first, last))
