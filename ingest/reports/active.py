"""Active installs: DAU, WAU and MAU (trailing 1, 7 and 30 days) per day, or as of each week's last day."""

from __future__ import annotations

from datetime import timedelta

from ingest.reports.base import Spec
from ingest.reports.params import Params
from ingest.reports.sql import NIL, ROLLUP_SETTINGS, day, extras

TRAILING = {"dau": 1, "wau": 7, "mau": 30}


def _source(params: Params, database: str) -> tuple[str, str]:
    """A subquery of (day, installs-or-install_id) rows, and the distinct-count aggregate that reads them."""
    since = day(params.since - timedelta(days=29))  # MAU of the first day looks 29 days further back
    span, extra = f"BETWEEN {since} AND {day(params.until)}", extras(params)
    if params.source == "rollup":
        table = "rollup_events_daily" if params.event else "rollup_active_daily"
        # One sketch per day first: each is then merged into 30 report days, not each (release, os) row.
        return (f"SELECT day, uniqCombinedMergeState(installs) AS who FROM {database}.{table} "
                f"WHERE day {span}{extra} GROUP BY day", "uniqCombinedMerge")
    return (f"SELECT toDate(ts) AS day, install_id AS who FROM {database}.events FINAL WHERE toDate(ts) {span}"
            f"{extra} AND install_id != {NIL} GROUP BY day, who", "uniqExact")


def build(params: Params, database: str) -> str:
    rows, agg = _source(params, database)
    # Each day's rows count toward the 30 report days whose trailing windows hold them.
    cells = ", ".join(f"{agg}If(who, d - day < {n}) AS {name}" for name, n in TRAILING.items())
    keep = "1" if params.interval == "day" else f"d = least(toMonday(d) + 6, {day(params.until)})"
    period = "d" if params.interval == "day" else "toMonday(d)"
    return (f"SELECT toString({period}) AS period, {cells}\nFROM ({rows})\n"
            f"ARRAY JOIN arrayFilter(x -> x BETWEEN {day(params.since)} AND {day(params.until)}, "
            f"arrayMap(i -> day + i, range(30))) AS d\nGROUP BY d HAVING {keep}\nORDER BY d"
            + (ROLLUP_SETTINGS if params.source == "rollup" else ""))


ACTIVE = Spec("active", frozenset({"interval", "event", "source"}), build,
              lambda params: ["period", *TRAILING], {name: (name,) for name in TRAILING})
