"""Every statement the jobs send, captured without a ClickHouse server: no cluster can run here, so the jobs run
against a store that records commands and answers reads with one of everything (a table, an expired day, a
deletion request, a crash with a dump, a TTL that differs from the policy), which makes every write path fire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import msgspec
from clickhouse_connect.driver.client import Client

from ingest.stages.rescrub import Reredaction
from redact import Redactor
from storage.clickhouse.client import ClickHouseStore, QueryResult
from storage.jobs import JOBS, JobContext, RetentionPolicy, ordered_jobs
from storage.jobs.rescrub import CLASSES, StoredCrash, StoredEvent
from storage.jobs.ttl import sync_ttl
from storage.objects import open_object_store
from storage.rollups import sync_breakdown_keys

DATABASE = "consentry"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD_DAY = "20250101"  # past every threshold of the default policy
CRASH_ID = "6f1c1d0e-0000-4000-8000-000000000001"
INSTALL = uuid.UUID("6f1c1d0e-0000-4000-8000-0000000000aa")  # the one pending deletion request's install
HOT_DAY = "20260601"  # NOW's day: on a server the deletion job mutates it instead of swapping it
# (substring of the SQL, rows answered); the first match wins.
ANSWERS: list[tuple[str, list[list[Any]]]] = [
    ("SELECT engine_full FROM system.tables", [["MergeTree TTL toDateTime(ts) + toIntervalDay(9999) SETTINGS"]]),
    ("FROM system.tables", [[1]]),
    ("system.parts", [[OLD_DAY, 10, 7]]),
    ("max(partition), count()", [[None, 0]]),
    ("retention_progress", []),
    ("SELECT request_id, install_id", [[uuid.uuid4(), INSTALL, "withdrawn", NOW]]),
    ("SELECT install_id, minidump_key, attachment_keys", [[INSTALL, f"crashes/2025/01/01/{CRASH_ID}/minidump", []]]),
    ("SELECT minidump_key, attachment_keys", [[f"crashes/2025/01/01/{CRASH_ID}/minidump", []]]),
    ("SELECT install_id, _partition_id, count()", [[INSTALL, OLD_DAY, 2], [INSTALL, HOT_DAY, 1]]),
    ("SELECT DISTINCT toDate(ts)", []),
    ("SELECT DISTINCT key", [["retired_prop"]]),
    ("SELECT DISTINCT toString(crash_id)", []),
    ("min(redaction_version)", [[OLD_DAY, 0]]),  # re-scrub: the old day holds rows of an older version
    ("FROM system.columns", [[field.name, "String"] for data in CLASSES
                             for field in msgspec.structs.fields(data.row)]),
    ("count()", [[3]]),
]


class RecordingStore(ClickHouseStore):
    def __init__(self, cluster: str) -> None:
        super().__init__(cast(Client, None), DATABASE, cluster)
        self.commands: list[str] = []
        self.queries: list[str] = []

    def command(self, sql: str) -> None:
        self.commands.append(sql)

    def query_raw(self, sql: str, fmt: str, settings: dict[str, Any] | None = None) -> bytes:
        """The re-scrub job's read of old rows: one row each, with a home path the current rules remove."""
        self.queries.append(sql)
        leak = "/home/alice/notes/plan.md"
        row: StoredEvent | StoredCrash = (
            StoredCrash(str(uuid.uuid4()), "a", "1", "linux", "6", "", "", "E", leak, [], [], {}, [], [], [], {})
            if "crash_id" in sql else
            StoredEvent(str(uuid.uuid4()), "a", "1", "linux", "6", "", "", {"path": leak}, {}, {}, {}))
        return msgspec.json.encode(row) + b"\n"

    def insert_lines(self, table: str, structure: str, fmt: str, lines: bytes,
                     settings: dict[str, Any] | None = None) -> None:
        self.commands.append(f"INSERT INTO {self.database}.{table} FORMAT {fmt}")

    def query(self, sql: str, *, read_only: bool = True) -> QueryResult:
        self.queries.append(sql)
        rows = next((rows for needle, rows in ANSWERS if needle in sql), None)
        if rows is None:
            raise AssertionError(f"no canned answer for {sql}")
        return QueryResult([], rows)


def formatted(store: ClickHouseStore, sql: str) -> str:
    """The engine's own parse of `sql` (formatQuery raises a syntax error on anything it cannot parse)."""
    literal = "'" + sql.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(store.query(f"SELECT formatQuery({literal})").rows[0][0])


def run_every_job(cluster: str, workdir: Path) -> RecordingStore:
    """Run the start-up syncs and every registered job once; the store holds what they sent."""
    store = RecordingStore(cluster)
    with open_object_store(f"file://{workdir / 'objects'}", workdir) as objects:
        objects.put(f"crashes/2025/01/01/{CRASH_ID}/minidump", b"MDMP")
        ctx = JobContext(store, objects, RetentionPolicy(), lambda: NOW, lambda done, total: None, b"k" * 32,
                         Reredaction(Redactor()))
        sync_ttl(store, ctx.policy)
        sync_breakdown_keys(store, ["mode"])
        for name in ordered_jobs():
            JOBS[name](ctx)
    return store
