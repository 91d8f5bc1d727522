"""`consentry crashes top|show|dump`: crash triage from the command line (the SQL is ingest/reports/triage.py)."""

from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from ingest.cli.engine import run_query
from ingest.cli.output import print_rows
from ingest.reports import triage
from ingest.settings import Settings
from ingest.stores import open_objects
from storage.clickhouse.client import QueryResult
from storage.errors import ObjectNotFound

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


def add_parser(commands: Any) -> None:
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


def main(settings: Settings, args: argparse.Namespace) -> int:
    if args.crashes_command == "top":
        sql = triage.top_sql(settings.clickhouse.database, since=args.since, release=args.release, limit=args.limit)
        result = run_query(settings, sql)
        print_rows(result if result.columns else QueryResult(list(triage.SUMMARY_COLUMNS), []), args.format)
    elif args.crashes_command == "show":
        crashes_show(settings, args.group_id, args.limit, args.format)
    else:
        crashes_dump(settings, args.crash_id, args.out, args.force)
    return 0
