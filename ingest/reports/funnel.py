"""Funnel: installs reaching each of ordered steps within a window (ClickHouse windowFunnel on raw rows)."""

from __future__ import annotations

from ingest.reports.base import Rows, Spec
from ingest.reports.params import Params
from ingest.reports.sql import DISTINCT_SETTINGS, NIL, filters
from storage.clickhouse.client import string as quote


def build(params: Params, database: str) -> str:
    conditions = ", ".join(f"name = {quote(step)}" for step in params.steps)
    names = ", ".join(quote(step) for step in sorted(set(params.steps)))
    # Raw rows: windowFunnel needs each install's events in time order, which no sketch keeps. Only the steps'
    # events of the window are read (name is in the sort key, the day is the partition), and without FINAL: a
    # duplicate event (same name and time) cannot change the step an install reaches (5 million events: 2.1 s
    # with FINAL, 0.7 s without).
    levels = (f"SELECT install_id, windowFunnel({params.window_s})(toDateTime(ts), {conditions}) AS level "
              f"FROM {database}.events WHERE {filters(params, 'toDate(ts)', event=False)} "
              f"AND install_id != {NIL} AND name IN ({names}) GROUP BY install_id")
    return (f"SELECT step, count() AS installs\nFROM ({levels})\nARRAY JOIN range(1, level + 1) AS step\n"
            "GROUP BY step\nORDER BY step" + DISTINCT_SETTINGS)


def finish(rows: Rows, params: Params) -> Rows:
    """Every step gets a row (none reached = 0); conversion from the first step and from the step before."""
    reached = {row["step"]: row["installs"] for row in rows}
    counts = [reached.get(index + 1, 0) for index in range(len(params.steps))]
    return [{"step": index + 1, "event": event, "installs": counts[index], "first": counts[0],
             "previous": counts[index - 1] if index else counts[0],
             "conversion": round(counts[index] / counts[0], 4) if counts[0] else None,
             "step_conversion": round(counts[index] / counts[index - 1], 4) if index and counts[index - 1] else
             (1.0 if counts[0] else None)} for index, event in enumerate(params.steps)]


FUNNEL = Spec("funnel", frozenset({"steps", "window"}), build,
              lambda params: ["step", "event", "installs", "conversion", "step_conversion"],
              {"installs": ("installs",), "conversion": ("installs", "first"),
               "step_conversion": ("installs", "previous")}, hidden=("first", "previous"), finish=finish,
              raw_only=True)
