"""Retention: installs by first-seen interval (cohort), and the share still active N intervals later (raw rows)."""

from __future__ import annotations

from ingest.reports.base import Rows, Spec
from ingest.reports.params import Params
from ingest.reports.sql import NIL, bucket, day, extras


def build(params: Params, database: str) -> str:
    step = 1 if params.interval == "day" else 7
    first = bucket(params, "toDate(min(ts))")
    # First seen over everything stored (not only the window), so a returning install is not a new cohort.
    cohorts = (f"SELECT install_id, {first} AS cohort FROM {database}.events FINAL WHERE install_id != {NIL}"
               f"{extras(params, event=False)} GROUP BY install_id "
               f"HAVING cohort BETWEEN {bucket(params, day(params.since))} AND {day(params.until)}")
    activity = (f"SELECT DISTINCT install_id, {bucket(params, 'toDate(ts)')} AS active FROM {database}.events FINAL "
                f"WHERE toDate(ts) BETWEEN {bucket(params, day(params.since))} AND {day(params.until)} "
                f"AND install_id != {NIL}{extras(params)}")
    return (f"SELECT toString(c.cohort) AS cohort, intDiv(dateDiff('day', c.cohort, a.active), {step}) AS offset, "
            f"uniqExact(install_id) AS active_installs\nFROM ({cohorts}) AS c\nINNER JOIN ({activity}) AS a "
            f"USING install_id\nWHERE a.active >= c.cohort\nGROUP BY c.cohort, offset\nORDER BY c.cohort, offset")


def finish(rows: Rows, params: Params) -> Rows:
    """Cohort size = installs active in their first interval (offset 0): everyone is, by definition."""
    sizes = {row["cohort"]: row["active_installs"] for row in rows if row["offset"] == 0}
    return [row | {"cohort_installs": sizes.get(row["cohort"], 0),
                   "share": round(row["active_installs"] / sizes[row["cohort"]], 4)
                   if sizes.get(row["cohort"]) else None} for row in rows]


RETENTION = Spec("retention", frozenset({"interval", "event"}), build,
                 lambda params: ["cohort", "offset", "cohort_installs", "active_installs", "share"],
                 {"cohort_installs": ("cohort_installs",), "active_installs": ("active_installs",),
                  "share": ("active_installs", "cohort_installs")}, finish=finish, raw_only=True)
