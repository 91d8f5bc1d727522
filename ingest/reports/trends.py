"""Trends: events and distinct installs per interval, optionally per value of one allowlisted string prop."""

from __future__ import annotations

from ingest.reports.base import Spec
from ingest.reports.params import Params
from ingest.reports.sql import NIL, ROLLUP_SETTINGS, bucket, filters
from storage.clickhouse.client import string as quote


def build(params: Params, database: str) -> str:
    by = params.breakdown
    if params.source == "rollup":
        table = "rollup_props_daily" if by else "rollup_events_daily"
        where = filters(params, "day") + (f" AND prop_key = {quote(by)}" if by else "")
        value, counts, period = "prop_value", "countMerge(events) AS events, uniqCombinedMerge(installs) AS installs", \
            bucket(params, "day")
    else:
        table = "events FINAL"
        where = filters(params, "toDate(ts)") + (f" AND mapContains(props_str, {quote(by)})" if by else "")
        # De-identified rows (nil install id) count as events but as nobody's install.
        value, counts, period = f"props_str[{quote(by or '')}]", \
            f"count() AS events, uniqExactIf(install_id, install_id != {NIL}) AS installs", bucket(params, "toDate(ts)")
    group = "period, value" if by else "period"
    select = f"toString({period}) AS period" + (f", {value} AS value" if by else "")
    return (f"SELECT {select}, {counts}\nFROM {database}.{table}\nWHERE {where}\nGROUP BY {group}\n"
            f"ORDER BY {group}" + (ROLLUP_SETTINGS if params.source == "rollup" else ""))


def columns(params: Params) -> list[str]:
    return ["period", "value", "events", "installs"] if params.breakdown else ["period", "events", "installs"]


# The breakdown value itself is guarded too: a value only a few installs send can itself single them out.
TRENDS = Spec("trends", frozenset({"interval", "event", "breakdown", "source"}), build, columns,
              {"value": ("installs",), "events": ("installs",), "installs": ("installs",)})
