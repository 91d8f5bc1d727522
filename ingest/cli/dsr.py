"""`consentry dsr export INSTALL_ID --out DIR`: a data-subject copy of everything stored for one install."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

from ingest.cli.engine import run_query
from ingest.settings import ConfigError, Settings
from ingest.stores import open_objects
from storage.clickhouse.client import QueryResult
from storage.export import export_install


def add_parser(commands: Any) -> None:
    dsr = commands.add_parser("dsr", help="data-subject requests: export everything stored for an install")
    sub = dsr.add_subparsers(dest="dsr_command", required=True)
    export = sub.add_parser("export", help="write events, crashes, the object list and the objects to DIR")
    export.add_argument("install_id")
    export.add_argument("--out", required=True, type=Path, help="a new or empty directory")


def main(settings: Settings, args: argparse.Namespace) -> int:
    try:
        install_id = uuid.UUID(args.install_id)
    except ValueError:
        raise ConfigError(f"INSTALL_ID {args.install_id!r} is not a UUID") from None
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"--out {out} exists and is not empty")

    def query(sql: str) -> QueryResult:
        return run_query(settings, sql)

    objects = open_objects(settings)
    try:
        manifest = export_install(install_id, settings.clickhouse.database, query, objects, out)
    finally:
        objects.close()
    print(f"exported {manifest.rows.get('events', 0)} events, {manifest.rows.get('crashes', 0)} crashes and "
          f"{manifest.objects} objects to {out}")
    return 0
