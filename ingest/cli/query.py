"""`consentry query SQL`: the operators' escape hatch, read-only SQL printed as a table, JSON lines or vertically.

A trailing `FORMAT name` clause, as clickhouse-client takes it, picks the output for the formats offered here;
the engine is always asked for typed rows (the driver adds its own FORMAT), so the clause never reaches it."""

from __future__ import annotations

import argparse
import re
from typing import Any

from ingest.cli.engine import run_query
from ingest.cli.output import FORMATS, print_rows
from ingest.settings import Settings

# ClickHouse output formats -> ours; a name not listed is refused with the list (case-insensitive, as ClickHouse).
CLAUSE_FORMATS = {"Vertical": "vertical", "JSONEachRow": "json", "JSONLines": "json", "NDJSON": "json",
                  "Pretty": "table", "PrettyCompact": "table", "PrettySpace": "table"}
_BY_NAME = {name.lower(): fmt for name, fmt in CLAUSE_FORMATS.items()}


class FormatError(ValueError):
    """A FORMAT clause this command cannot print, or one that contradicts --format."""


_TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$", re.IGNORECASE)


def add_parser(commands: Any) -> None:
    query = commands.add_parser(
        "query", help="operators' escape hatch: read-only SQL on the configured ClickHouse (for analytics, use "
        "`consentry report`: it applies k-anonymity)",
        description="The operators' escape hatch: any read-only SQL, raw rows included. Engineers looking at "
        "usage: use `consentry report` (trends, active, retention, funnel, crash-free), which never lists install "
        "or session ids and suppresses cells under reports.min_installs installs. A trailing FORMAT clause picks "
        f"the output too: FORMAT {', '.join(CLAUSE_FORMATS)}.")
    query.add_argument("sql")
    query.add_argument("--format", choices=FORMATS, default=None,
                       help="table (default), json = one object per line, vertical = one column per line")


def split_format(sql: str) -> tuple[str, str | None]:
    """The statement without a trailing FORMAT clause, and the output that clause asks for (None: no clause)."""
    match = _TRAILING_FORMAT.search(sql)
    if match is None:
        return sql, None
    name = match[1]
    fmt = _BY_NAME.get(name.lower())
    if fmt is None:
        raise FormatError(f"FORMAT {name} is not offered by `consentry query`; use FORMAT "
                          f"{', '.join(CLAUSE_FORMATS)}, or --format {'|'.join(FORMATS)}")
    return sql[:match.start()], fmt


def main(settings: Settings, args: argparse.Namespace) -> int:
    sql, clause = split_format(args.sql)
    if clause and args.format and clause != args.format:
        raise FormatError(f"--format {args.format} and the FORMAT clause ({clause}) disagree; give one of them")
    print_rows(run_query(settings, sql), args.format or clause or "table")
    return 0

