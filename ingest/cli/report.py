"""`consentry report NAME ...`: the same parameters and validation as GET /v1/admin/reports/{name}."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ingest.cli.engine import run_query
from ingest.reports.base import assemble
from ingest.reports.params import ReportArgumentError
from ingest.reports.registry import REPORTS, prepare
from ingest.reports.render import RENDER
from ingest.settings import Settings

# flag -> help; every flag is a string parsed by ingest/reports/params.py, as the API's query parameters are.
FLAGS = {
    "since": "first day: 30d back (default), 7d, or an ISO date",
    "until": "last day, inclusive (default today, UTC)",
    "interval": "day (default) or week",
    "event": "only this event name (trends, active; retention: the returning event)",
    "breakdown": "trends per value of this prop (only reports.breakdown_props)",
    "release": "only this app version",
    "steps": "funnel: event names in order, comma-separated",
    "window": "funnel: time allowed from the first step to the last (30m, 2h, 1d = default)",
    "source": "trends, active, retention, crash-free, top-events: rollup (default) or raw (events rows)",
    "format": "table (default), json or csv",
}


def add_parser(commands: Any) -> None:
    report = commands.add_parser("report", help="analytics reports (k-anonymous): trends, active, retention, "
                                 "funnel, crash-free")
    report.add_argument("name", choices=list(REPORTS))
    for flag, text in FLAGS.items():
        report.add_argument(f"--{flag}", help=text)


def main(settings: Settings, args: argparse.Namespace) -> int:
    raw = {flag: value for flag in FLAGS if (value := getattr(args, flag)) is not None}
    try:
        spec, params = prepare(args.name, raw, settings.reports.breakdown_props)
    except ReportArgumentError as exc:
        print(f"consentry report: {exc}", file=sys.stderr)
        return 2
    result = run_query(settings, spec.build(params, settings.clickhouse.database))
    report = assemble(spec, params, result, settings.reports.min_installs)
    sys.stdout.write(RENDER[params.format](report))
    return 0
