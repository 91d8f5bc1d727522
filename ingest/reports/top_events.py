"""Top events: events and distinct installs per event name over the window, most events first."""

from __future__ import annotations

from ingest.reports.base import Spec
from ingest.reports.params import Params
from ingest.reports.sql import NIL, ROLLUP_SETTINGS, filters

TOP = 20  # a dashboard ranking, not an inventory: `consentry query` lists every name


def build(params: Params, database: str) -> str:
    if params.source == "rollup":
        table, where = "rollup_events_daily", filters(params, "day", event=False)
        counts = "countMerge(events) AS events, uniqCombinedMerge(installs) AS installs"
    else:
        table, where = "events FINAL", filters(params, "toDate(ts)", event=False)
        # De-identified rows (nil install id) count as events but as nobody's install.
        counts = f"count() AS events, uniqExactIf(install_id, install_id != {NIL}) AS installs"
    return (f"SELECT name AS event, {counts}\nFROM {database}.{table}\nWHERE {where}\nGROUP BY event\n"
            f"ORDER BY events DESC, event\nLIMIT {TOP}" + (ROLLUP_SETTINGS if params.source == "rollup" else ""))


# The name is guarded like a breakdown value: an event only a few installs send can itself single them out.
TOP_EVENTS = Spec("top-events", frozenset({"source"}), build, lambda params: ["event", "events", "installs"],
                  {"event": ("installs",), "events": ("installs",), "installs": ("installs",)})
