"""ClickHouse through clickhouse-connect: embedded chDB by default, an http(s) server by DSN."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
import msgspec
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError

from storage.errors import QueryError, StorageUnavailable
from storage.rows import (
    CRASH_COLUMNS,
    EVENT_COLUMNS,
    EVENT_LINES_FORMAT,
    EVENT_LINES_STRUCTURE,
    CrashRow,
    EventRow,
)

# optimize_on_insert=0: ReplacingMergeTree would sort and collapse duplicate event ids inside each inserted block,
# which halves the insert rate (bench/insert_bench.py: 10.5 -> 5.8 us per row) for a case only a replayed spool
# batch produces; merges collapse those like any cross-block duplicate and readers already use FINAL.
INSERT_SETTINGS = {"optimize_on_insert": 0}
# input_format_parallel_parsing=0: parsing the lines is half the writer's CPU (perf: ClickHouse's ChunkParser
# threads); split across threads it costs ~10% more CPU in total, which on the embedded engine the workers
# would otherwise have. A server with idle cores only loses a little latency per insert.
# input_format_json_compact_allow_variable_number_of_columns=1: lines spooled by an older release (fewer columns,
# e.g. before redaction_version) still insert, the missing trailing columns taking their defaults.
EVENT_INSERT_SETTINGS = {**INSERT_SETTINGS, "date_time_input_format": "best_effort", "input_format_parallel_parsing": 0,
                         "input_format_json_compact_allow_variable_number_of_columns": 1}

# readonly=2: no writes or DDL, but the query may still carry its own SETTINGS clause.
# final=1: ReplacingMergeTree tables read as if merged, so retried batches never show twice.
READ_SETTINGS = {"readonly": 2, "final": 1}


class QueryResult(msgspec.Struct, frozen=True):
    columns: list[str]
    rows: list[list[Any]]


def open_client(url: str, data_dir: Path, ca_file: str = "") -> Client:
    """Create the one clickhouse-connect client; the only place embedded and server paths differ.
    ``ca_file`` verifies an https:// server against that CA bundle instead of the default one."""
    parts = urlsplit(url)
    try:
        if not url or parts.scheme == "chdb":
            path = Path(parts.path) if url else data_dir / "clickhouse"
            path.mkdir(parents=True, exist_ok=True)
            return clickhouse_connect.get_client(interface="chdb", path=str(path))
        tls: dict[str, Any] = {"ca_cert": ca_file} if ca_file else {}
        # interface from the scheme: clickhouse-connect (1.12) ignores a DSN's scheme and picks TLS by port
        # (443/8443 only), so https:// on any other port would silently go out as plain HTTP.
        return clickhouse_connect.get_client(dsn=url, interface=parts.scheme, connect_timeout=5,
                                             send_receive_timeout=60, **tls)
    except ClickHouseError as exc:
        raise StorageUnavailable(f"cannot open ClickHouse at {_safe_url(url, data_dir)}: {exc}") from None


def _safe_url(url: str, data_dir: Path) -> str:
    """The URL without its password, for error messages."""
    if not url:
        return f"embedded chDB under {data_dir}"
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""
    return parts._replace(netloc=host).geturl() if parts.password else url


@contextmanager
def _translated(action: str, *, user_query: bool = False) -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:
        if user_query:
            raise QueryError(str(exc)) from None
        raise StorageUnavailable(f"{action} failed: {exc}") from None
    except ClickHouseError as exc:
        raise StorageUnavailable(f"{action} failed: {exc}") from None


def event_lines_insert(database: str, path: str) -> str:
    """Insert a file of encode_event_lines output. The file() table function parses the lines with
    EVENT_LINES_STRUCTURE's types; the conversion to the table's types then happens a block at a time."""
    columns = ", ".join(EVENT_COLUMNS)
    return (f"INSERT INTO {database}.events ({columns}) SELECT {columns} "
            f"FROM file({string(path)}, '{EVENT_LINES_FORMAT}', {string(EVENT_LINES_STRUCTURE)})")


def _split_structure(structure: str) -> list[str]:
    """ "a UInt8, b Map(String, UInt32)" -> ["a UInt8", "b Map(String, UInt32)"]: commas inside types stay."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(structure):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(structure[start:index].strip())
            start = index + 1
    parts.append(structure[start:].strip())
    return [part for part in parts if part]


def string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def day(value: date) -> str:
    """A Date literal."""
    return f"toDate({string(value.isoformat())})"


def _row_tuple(row: msgspec.Struct) -> tuple[Any, ...]:
    """A row as column values; nested structs (frames) become the tuples ClickHouse expects."""
    return tuple(
        [msgspec.structs.astuple(item) for item in value] if value and isinstance(value, list)
        and isinstance(value[0], msgspec.Struct) else value
        for value in msgspec.structs.astuple(row)
    )


class ClickHouseStore:
    """Synchronous store; callers in async code run it on one worker thread (chDB has no async client)."""

    def __init__(self, client: Client, database: str, cluster: str = "") -> None:
        self.client = client
        self.database = database
        self.cluster = cluster  # non-empty: jobs mutate `<table>_local ON CLUSTER` (target.py)
        # The embedded engine (clickhouse-connect's chDB client) can read our files; a server cannot.
        self.embedded = type(client).__name__ == "ChdbClient"

    def use_database(self) -> None:
        """Make unqualified table names resolve to our database (it must exist: see migrate)."""
        self.client.database = self.database

    def ping(self) -> None:
        with _translated("ping"):
            self.client.query("SELECT 1")

    def command(self, sql: str) -> None:
        with _translated("command"):
            self.client.command(sql)

    def insert_events(self, rows: Sequence[EventRow]) -> None:
        self._insert("events", EVENT_COLUMNS, rows)

    def insert_event_lines(self, lines: bytes) -> None:
        """Insert rows encoded by encode_event_lines."""
        if not lines:
            return
        with _translated("insert into events"):
            if not self.embedded:
                self.client.raw_insert(f"{self.database}.events", column_names=list(EVENT_COLUMNS),
                                       insert_block=lines, fmt=EVENT_LINES_FORMAT, settings=EVENT_INSERT_SETTINGS)
                return
            # chDB reads a local file as the server would read a request body (clickhouse-connect's own
            # raw_insert spools to a temporary file the same way); going through file() lets the lines be
            # parsed as plain strings first, which halves the insert's CPU (bench/insert_bench.py).
            with tempfile.NamedTemporaryFile(prefix="consentry-insert-", suffix=".jsonl") as scratch:
                scratch.write(lines)
                scratch.flush()
                self.client.command(event_lines_insert(self.database, scratch.name), settings=EVENT_INSERT_SETTINGS)

    def insert_crashes(self, rows: Sequence[CrashRow]) -> None:
        self._insert("crashes", CRASH_COLUMNS, rows)

    def _insert(self, table: str, names: tuple[str, ...], rows: Sequence[msgspec.Struct]) -> None:
        if not rows:
            return
        columns = list(zip(*(_row_tuple(row) for row in rows), strict=True))
        with _translated(f"insert into {table}"):
            self.client.insert(table, columns, column_names=names, database=self.database, column_oriented=True,
                               settings=INSERT_SETTINGS)

    def query_raw(self, sql: str, fmt: str, settings: dict[str, Any] | None = None) -> bytes:
        """A query's result as ClickHouse formats it, for a job that parses many rows itself (no FINAL)."""
        with _translated("query"):
            return bytes(self.client.raw_query(sql, fmt=fmt, settings=settings))

    def insert_lines(self, table: str, structure: str, fmt: str, lines: bytes,
                     settings: dict[str, Any] | None = None) -> None:
        """Insert rows formatted as `fmt`, their columns named and typed by `structure` ("name Type, ...")."""
        if not lines:
            return
        settings = {**INSERT_SETTINGS, **(settings or {})}
        columns = [part.split(" ", 1)[0] for part in _split_structure(structure)]
        with _translated(f"insert into {table}"):
            if not self.embedded:
                self.client.raw_insert(f"{self.database}.{table}", column_names=columns, insert_block=lines,
                                       fmt=fmt, settings=settings)
                return
            with tempfile.NamedTemporaryFile(prefix="consentry-insert-", suffix=".lines") as scratch:
                scratch.write(lines)
                scratch.flush()
                names = ", ".join(columns)
                self.client.command(f"INSERT INTO {self.database}.{table} ({names}) SELECT {names} FROM "
                                    f"file({string(scratch.name)}, '{fmt}', {string(structure)})",
                                    settings=settings)

    def query(self, sql: str, *, read_only: bool = True) -> QueryResult:
        settings = READ_SETTINGS if read_only else {}
        with _translated("query", user_query=True):
            result = self.client.query(sql, settings=settings)
            return QueryResult(list(result.column_names), [list(row) for row in result.result_rows])

    def close(self) -> None:
        self.client.close()
