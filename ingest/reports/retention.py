"""Retention: installs by first-seen interval (cohort), and the share still active N intervals later."""

from __future__ import annotations

from ingest.reports.base import Rows, Spec
from ingest.reports.params import Params
from ingest.reports.sql import DISTINCT_SETTINGS, NIL, ROLLUP_SETTINGS, bucket, extras
from storage.clickhouse.client import day
from storage.clickhouse.client import string as quote


def _rollup(params: Params, database: str) -> str:
    """One pass over rollup_install_weeks (per install and week: active-day bits, event names): no join."""
    since, until = bucket(params, day(params.since)), day(params.until)
    release = f"app_version = {quote(params.release)}" if params.release else "1"
    # The interval of each row: its week, or one row per active day (bit n of `days` is week + n).
    unit = "week" if params.interval == "week" else \
        "arrayJoin(arrayMap(n -> week + n, arrayFilter(n -> bitTest(days, n), range(7))))"
    rows = f"SELECT install_id, {unit} AS unit, names FROM {database}.rollup_install_weeks WHERE {release}"
    returning = f" AND has(names, {quote(params.event)})" if params.event else ""
    # First seen over everything stored (not only the window), so a returning install is not a new cohort.
    installs = (f"SELECT min(unit) AS first, groupUniqArrayIf(unit, unit BETWEEN {since} AND {until}{returning}) "
                f"AS units FROM ({rows}) GROUP BY install_id HAVING first BETWEEN {since} AND {until}")
    step = 1 if params.interval == "day" else 7
    return (f"SELECT toString(first) AS cohort, intDiv(dateDiff('day', first, active), {step}) AS offset, "
            f"count() AS active_installs\nFROM ({installs})\nARRAY JOIN units AS active\n"
            f"GROUP BY first, offset\nORDER BY first, offset" + ROLLUP_SETTINGS)


def _raw(params: Params, database: str) -> str:
    step = 1 if params.interval == "day" else 7
    first = bucket(params, "toDate(min(ts))")
    cohorts = (f"SELECT install_id, {first} AS cohort FROM {database}.events WHERE install_id != {NIL}"
               f"{extras(params, event=False)} GROUP BY install_id "
               f"HAVING cohort BETWEEN {bucket(params, day(params.since))} AND {day(params.until)}")
    activity = (f"SELECT DISTINCT install_id, {bucket(params, 'toDate(ts)')} AS active FROM {database}.events "
                f"WHERE toDate(ts) BETWEEN {bucket(params, day(params.since))} AND {day(params.until)} "
                f"AND install_id != {NIL}{extras(params)}")
    return (f"SELECT toString(c.cohort) AS cohort, intDiv(dateDiff('day', c.cohort, a.active), {step}) AS offset, "
            f"uniqExact(install_id) AS active_installs\nFROM ({cohorts}) AS c\nINNER JOIN ({activity}) AS a "
            f"USING install_id\nWHERE a.active >= c.cohort\nGROUP BY c.cohort, offset\nORDER BY c.cohort, offset"
            + DISTINCT_SETTINGS)


def build(params: Params, database: str) -> str:
    return _rollup(params, database) if params.source == "rollup" else _raw(params, database)


def finish(rows: Rows, params: Params) -> Rows:
    """Cohort size = installs active in their first interval (offset 0): everyone is, by definition."""
    sizes = {row["cohort"]: row["active_installs"] for row in rows if row["offset"] == 0}
    return [row | {"cohort_installs": sizes.get(row["cohort"], 0),
                   "share": round(row["active_installs"] / sizes[row["cohort"]], 4)
                   if sizes.get(row["cohort"]) else None} for row in rows]


# The rollup keeps event names per week, not per day: a daily retention of one returning event reads raw rows.
RETENTION = Spec("retention", frozenset({"interval", "event", "source"}), build,
                 lambda params: ["cohort", "offset", "cohort_installs", "active_installs", "share"],
                 {"cohort_installs": ("cohort_installs",), "active_installs": ("active_installs",),
                  "share": ("active_installs", "cohort_installs")}, finish=finish,
                 rollup_answers=lambda params: not (params.interval == "day" and params.event))
