"""Active installs: DAU, WAU and MAU (trailing 1, 7 and 30 days) per day, or as of each week's last day."""

from __future__ import annotations

from datetime import timedelta

from ingest.reports.base import Spec
from ingest.reports.params import Params
from ingest.reports.sql import DISTINCT_SETTINGS, NIL, ROLLUP_SETTINGS, extras
from storage.clickhouse.client import day
from storage.clickhouse.client import string as quote

TRAILING = {"dau": 1, "wau": 7, "mau": 30}


def _keep(params: Params, expr: str) -> str:
    """Per day: every day; per week: the week's last day (or `until` for the current week)."""
    return "1" if params.interval == "day" else f"{expr} = least(toMonday({expr}) + 6, {day(params.until)})"


def _period(params: Params, expr: str) -> str:
    return expr if params.interval == "day" else f"toMonday({expr})"


def _rollup(params: Params, database: str) -> str:
    # rollup_active_trailing holds each day's trailing-window sketches already merged at insert (schemas/0007):
    # one row per report day and release or event ('' = any), three sketches to finalize.
    cells = ", ".join(f"uniqCombinedMerge({name}) AS {name}" for name in TRAILING)
    return (f"SELECT toString({_period(params, 'day')}) AS period, {cells}\n"
            f"FROM {database}.rollup_active_trailing\n"
            f"WHERE name = {quote(params.event or '')} AND app_version = {quote(params.release or '')} "
            f"AND day BETWEEN {day(params.since)} AND {day(params.until)} AND {_keep(params, 'day')}\n"
            f"GROUP BY day\nORDER BY day" + ROLLUP_SETTINGS)


def _raw(params: Params, database: str) -> str:
    since = day(params.since - timedelta(days=29))  # MAU of the first day looks 29 days further back
    rows = (f"SELECT toDate(ts) AS day, install_id AS who FROM {database}.events WHERE toDate(ts) "
            f"BETWEEN {since} AND {day(params.until)}{extras(params)} AND install_id != {NIL} GROUP BY day, who")
    # Each day's rows count toward the 30 report days whose trailing windows hold them.
    cells = ", ".join(f"uniqExactIf(who, d - day < {n}) AS {name}" for name, n in TRAILING.items())
    return (f"SELECT toString({_period(params, 'd')}) AS period, {cells}\nFROM ({rows})\n"
            f"ARRAY JOIN arrayFilter(x -> x BETWEEN {day(params.since)} AND {day(params.until)}, "
            f"arrayMap(i -> day + i, range(30))) AS d\nGROUP BY d HAVING {_keep(params, 'd')}\nORDER BY d"
            + DISTINCT_SETTINGS)


def build(params: Params, database: str) -> str:
    return _rollup(params, database) if params.source == "rollup" else _raw(params, database)


# The rollup has rows per release and per event, not per (release, event): both filters at once read raw rows.
ACTIVE = Spec("active", frozenset({"interval", "event", "source"}), build,
              lambda params: ["period", *TRAILING], {name: (name,) for name in TRAILING},
              rollup_answers=lambda params: not (params.event and params.release))
