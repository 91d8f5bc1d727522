"""The `consentry` command: serve, migrate, query."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import msgspec

from ingest import control_client
from ingest.output import print_rows
from ingest.serve import serve
from ingest.settings import ConfigError, Settings, load_settings
from storage.clickhouse import ClickHouseStore, QueryResult, open_client
from storage.errors import StorageError
from storage.migrate import migrate

log = logging.getLogger("consentry")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consentry", description="Privacy-first telemetry collector")
    parser.add_argument("--config", help="TOML config file; CONSENTRY_* environment variables override it")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the collector")
    serve_cmd.add_argument("--workers", type=int, default=None,
                           help="worker processes (default: http.workers, 0 there = one per CPU); "
                                "0 here = a single process that also writes")
    commands.add_parser("migrate", help="apply schemas/*.sql (idempotent)")
    query = commands.add_parser("query", help="run a read-only SQL query against the configured ClickHouse")
    query.add_argument("sql")
    query.add_argument("--format", choices=("table", "json"), default="table", help="json = one object per line")
    return parser


def _local_store(settings: Settings) -> ClickHouseStore:
    client = open_client(settings.clickhouse.url, settings.data_path)
    return ClickHouseStore(client, settings.clickhouse.database)


def _embedded(settings: Settings) -> bool:
    return not settings.clickhouse.url or settings.clickhouse.url.startswith("chdb:")


def run_migrate(settings: Settings) -> list[str]:
    if _embedded(settings):
        answer = control_client.call(settings.control_socket, "/migrate", {})
        if answer is not None:
            return list(answer["applied"])
    store = _local_store(settings)
    try:
        return migrate(store)
    finally:
        store.close()


def run_query(settings: Settings, sql: str) -> QueryResult:
    if _embedded(settings):  # the running collector owns the engine: ask it
        answer = control_client.call(settings.control_socket, "/query", {"sql": sql})
        if answer is not None:
            return msgspec.convert(answer, QueryResult)
    store = _local_store(settings)
    try:
        store.use_database()
        # Round-trip through JSON so both paths print identical values.
        return msgspec.json.decode(msgspec.json.encode(store.query(sql)), type=QueryResult)
    finally:
        store.close()


def _workers(flag: int | None, settings: Settings) -> int:
    if flag is not None:
        if flag < 0:
            raise ConfigError("--workers must be >= 0")
        return flag
    return settings.http.workers or os.cpu_count() or 1


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        if args.command == "serve":
            return serve(settings, _workers(args.workers, settings))
        elif args.command == "migrate":
            applied = run_migrate(settings)
            print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
        else:
            print_rows(run_query(settings, args.sql), args.format)
    except ConfigError as exc:
        print(f"consentry: configuration error: {exc}", file=sys.stderr)
        return 2
    except (StorageError, control_client.ControlError) as exc:
        print(f"consentry: {exc}", file=sys.stderr)
        return 1
    return 0
