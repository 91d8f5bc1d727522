"""The `consentry` command: serve, migrate, query, crashes (triage), jobs (retention)."""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from ingest import control_client, dsr_cli, jobs_cli
from ingest.crash import triage
from ingest.logs import setup_logging
from ingest.objects import open_objects
from ingest.output import print_rows
from ingest.reports import cli as reports_cli
from ingest.serve import serve
from ingest.settings import ConfigError, Settings, load_settings
from storage.clickhouse import ClickHouseStore, QueryResult, open_client
from storage.errors import ObjectNotFound, StorageError
from storage.migrate import migrate

log = logging.getLogger("consentry")
T = TypeVar("T")


class TriageError(Exception):
    """A crash or group the user asked for is not there, or its dump cannot be written."""


def _checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type: our validators' messages instead of argparse's generic 'invalid value'."""
    def check(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return check


def _crashes_parser(commands: Any) -> None:
    crashes = commands.add_parser("crashes", help="triage crash reports: groups, a group's crashes, minidumps")
    sub = crashes.add_subparsers(dest="crashes_command", required=True)
    top = sub.add_parser("top", help="crash groups by number of crashes")
    top.add_argument("--since", type=_checked(triage.parse_since), default=triage.DEFAULT_SINCE,
                     help="7d, 24h, 30m or an ISO date (default 7d)")
    top.add_argument("--release", type=_checked(triage.parse_release), help="only crashes of this app version")
    top.add_argument("--limit", type=_checked(triage.parse_limit), default=triage.DEFAULT_LIMIT)
    show = sub.add_parser("show", help="a group's summary and its latest crashes with frames")
    show.add_argument("group_id", metavar="GROUP_ID", type=_checked(triage.parse_group_id))
    show.add_argument("--limit", type=_checked(triage.parse_limit), default=5, help="latest crashes to show")
    for command in (top, show):
        command.add_argument("--format", choices=("table", "json"), default="table")
    dump = sub.add_parser("dump", help="write a crash's minidump to a file")
    dump.add_argument("crash_id", metavar="CRASH_ID", type=_checked(triage.parse_crash_id))
    dump.add_argument("--out", required=True, type=Path, help="file to write (refused if it exists)")
    dump.add_argument("--force", action="store_true", help="overwrite --out if it exists")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="consentry", description="Privacy-first telemetry collector")
    parser.add_argument("--config", help="TOML config file; CONSENTRY_* environment variables override it")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the collector")
    serve_cmd.add_argument("--workers", type=int, default=None,
                           help="worker processes (default: http.workers, 0 there = one per CPU); "
                                "0 here = a single process that also writes")
    migrate_cmd = commands.add_parser("migrate", help="apply schemas/*.sql (idempotent)")
    migrate_cmd.add_argument("--cluster", metavar="NAME", default=None,
                             help="apply schemas/cluster/*.sql ON CLUSTER NAME (replicated + Distributed tables); "
                                  "default: the clickhouse.cluster setting")
    query = commands.add_parser(
        "query", help="operators' escape hatch: read-only SQL on the configured ClickHouse (for analytics, use "
        "`consentry report`: it applies k-anonymity)",
        description="The operators' escape hatch: any read-only SQL, raw rows included. Engineers looking at "
        "usage: use `consentry report` (trends, active, retention, funnel, crash-free), which never lists install "
        "or session ids and suppresses cells under reports.min_installs installs.")
    query.add_argument("sql")
    query.add_argument("--format", choices=("table", "json"), default="table", help="json = one object per line")
    _crashes_parser(commands)
    jobs_cli.add_parser(commands)
    dsr_cli.add_parser(commands)
    reports_cli.add_parser(commands)
    return parser


def _local_store(settings: Settings) -> ClickHouseStore:
    client = open_client(settings.clickhouse.url, settings.data_path, settings.clickhouse.ca_file)
    return ClickHouseStore(client, settings.clickhouse.database, settings.clickhouse.cluster)


def _embedded(settings: Settings) -> bool:
    return not settings.clickhouse.url or settings.clickhouse.url.startswith("chdb:")


def run_migrate(settings: Settings, cluster: str | None = None) -> list[str]:
    """Migrate single-node, or the cluster `cluster` (None: the clickhouse.cluster setting)."""
    cluster = settings.clickhouse.cluster if cluster is None else cluster
    if cluster and _embedded(settings):
        raise ConfigError("migrate --cluster needs clickhouse.url to be a ClickHouse server (http(s)://...), "
                          "not embedded chDB")
    if _embedded(settings):
        answer = control_client.call(settings.control_socket, "/migrate", {})
        if answer is not None:
            return list(answer["applied"])
    store = _local_store(settings)
    try:
        return migrate(store, cluster)
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


def _print_group(detail: dict[str, Any]) -> None:
    group = detail["group"]
    for name, value in group.items():
        print(f"{name:<15} {value if isinstance(value, str) else msgspec.json.encode(value).decode()}")
    for crash in detail["crashes"]:
        print(f"\ncrash {crash['crash_id']}  {crash['ts']}  {crash['app']} {crash['app_version']}  "
              f"{crash['os']} {crash['os_version']}".rstrip())
        print(f"  {crash['exception_type']}: {crash['exception_message']}")
        for index, frame in enumerate(crash["frames"]):
            where = f"{frame['file']}:{frame['line']}" if frame["file"] else ""
            print(f"  #{index:<3} {frame['module']}:{frame['function']}  {where}"
                  + ("  [in app]" if frame["in_app"] else ""))


def crashes_show(settings: Settings, group_id: str, limit: int, fmt: str) -> None:
    database = settings.clickhouse.database
    detail = triage.group_detail(run_query(settings, triage.group_sql(database, group_id)),
                                 run_query(settings, triage.latest_sql(database, group_id, limit)))
    if detail is None:
        raise TriageError(f"no crash group {group_id}")
    if fmt == "json":
        print(msgspec.json.encode(detail).decode())
    else:
        _print_group(detail)


def crashes_dump(settings: Settings, crash_id: str, out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise TriageError(f"{out} exists; pass --force to overwrite it")
    rows = run_query(settings, triage.minidump_sql(settings.clickhouse.database, crash_id)).rows
    if not rows:
        raise TriageError(f"no crash {crash_id}")
    key, sha256 = rows[0]
    if not key:
        raise TriageError(f"crash {crash_id} has no minidump (none was uploaded, or retention expired it)")
    try:
        with open_objects(settings) as store:
            data = store.get(key)
    except ObjectNotFound:  # the row outlived its object (deleted by retention or by hand)
        raise TriageError(f"the minidump of crash {crash_id} is no longer stored ({key})") from None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise TriageError(f"the stored minidump of crash {crash_id} does not match its recorded SHA-256")
    # Owner-only, and exclusive unless --force: a dump holds process memory.
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        with os.fdopen(os.open(out, flags, 0o600), "wb") as sink:
            sink.write(data)
    except OSError as exc:
        raise TriageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {len(data)} bytes to {out}")


def run_crashes(settings: Settings, args: argparse.Namespace) -> None:
    if args.crashes_command == "top":
        sql = triage.top_sql(settings.clickhouse.database, since=args.since, release=args.release, limit=args.limit)
        result = run_query(settings, sql)
        print_rows(result if result.columns else QueryResult(list(triage.SUMMARY_COLUMNS), []), args.format)
    elif args.crashes_command == "show":
        crashes_show(settings, args.group_id, args.limit, args.format)
    else:
        crashes_dump(settings, args.crash_id, args.out, args.force)


def _workers(flag: int | None, settings: Settings) -> int:
    if flag is not None:
        if flag < 0:
            raise ConfigError("--workers must be >= 0")
        return flag
    return settings.http.workers or os.cpu_count() or 1


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging()
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        setup_logging(settings.log.format, settings.log.level)
        if args.command == "serve":
            return serve(settings, _workers(args.workers, settings))
        elif args.command == "migrate":
            applied = run_migrate(settings, args.cluster)
            print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
        elif args.command == "crashes":
            run_crashes(settings, args)
        elif args.command == "jobs":
            return jobs_cli.main(settings, args)
        elif args.command == "dsr":
            return dsr_cli.main(settings, args)
        elif args.command == "report":
            return reports_cli.main(settings, args, run_query)
        else:
            print_rows(run_query(settings, args.sql), args.format)
    except ConfigError as exc:
        print(f"consentry: configuration error: {exc}", file=sys.stderr)
        return 2
    except (StorageError, control_client.ControlError, TriageError) as exc:
        print(f"consentry: {exc}", file=sys.stderr)
        return 1
    return 0
