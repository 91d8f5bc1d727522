"""The reports by name, and turning a name plus raw parameters into validated params and SQL."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from ingest.reports.active import ACTIVE
from ingest.reports.base import Spec
from ingest.reports.crash_free import CRASH_FREE
from ingest.reports.funnel import FUNNEL
from ingest.reports.params import Params, ReportArgumentError, parse
from ingest.reports.retention import RETENTION
from ingest.reports.top_events import TOP_EVENTS
from ingest.reports.trends import TRENDS

REPORTS: dict[str, Spec] = {spec.name: spec for spec in (TRENDS, ACTIVE, RETENTION, FUNNEL, CRASH_FREE, TOP_EVENTS)}


def prepare(name: str, raw: Mapping[str, str], breakdown_props: list[str]) -> tuple[Spec, Params]:
    spec = REPORTS.get(name)
    if spec is None:
        raise ReportArgumentError(f"no report {name[:40]!r}; reports: {', '.join(REPORTS)}")
    params = parse(spec.params, raw, breakdown_props)
    if params.source == "rollup" and spec.rollup_answers is not None and not spec.rollup_answers(params):
        params = msgspec.structs.replace(params, source="raw")  # the report then says it read raw rows
    return spec, params
