"""SQL pieces shared by the reports: literals, interval buckets, and the row filters every report applies."""

from __future__ import annotations

from ingest.reports.params import Params
from storage.clickhouse.client import day
from storage.clickhouse.client import string as quote

NIL = "toUUID('00000000-0000-0000-0000-000000000000')"  # the id de-identified rows carry: nobody's
# Report queries run with final=1 (for events). Rollup states merge in GROUP BY anyway, so FINAL there only costs.
ROLLUP_SETTINGS = "\nSETTINGS final = 0"
# Raw-row queries that count only distinct installs, sessions or intervals, or run windowFunnel: a duplicate row
# (a retried batch before ReplacingMergeTree merges) cannot change their answer, so they skip FINAL too.
DISTINCT_SETTINGS = ROLLUP_SETTINGS


def bucket(params: Params, expr: str) -> str:
    """The interval a Date belongs to: itself, or the Monday of its ISO week."""
    return expr if params.interval == "day" else f"toMonday({expr})"


def extras(params: Params, *, event: bool = True) -> str:
    """` AND ...` for the release and the event when asked for, else empty."""
    where = [f"app_version = {quote(params.release)}"] if params.release else []
    if event and params.event:
        where.append(f"name = {quote(params.event)}")
    return "".join(f" AND {cond}" for cond in where)


def filters(params: Params, day_expr: str, *, event: bool = True) -> str:
    """Whole UTC days since..until, and the release and event when asked for."""
    return f"{day_expr} BETWEEN {day(params.since)} AND {day(params.until)}" + extras(params, event=event)
