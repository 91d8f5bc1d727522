"""Deletion requests: register them, then remove every row and object of the install, and audit by hash only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from storage.clickhouse.client import ClickHouseStore, string
from storage.clickhouse.target import Target
from storage.jobs.base import JobContext, JobResult
from storage.objects import ObjectStore
from storage.privacy import install_hash

# Every table holding per-install rows. rollup_install_weeks (schemas/0007) is the one rollup keyed by install;
# the others hold only counts and uniqCombined sketches, which cannot be tied back to one install (docs/reports.md).
DATA_TABLES = ("events", "crashes", "rollup_install_weeks")


class DeletionRequest(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    install_id: uuid.UUID
    reason: str
    requested_at: datetime


class DeletionOutcome(msgspec.Struct):
    requests: int = 0
    rows: dict[str, int] = {}
    objects: int = 0


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _audit(store: ClickHouseStore, request: DeletionRequest, key: bytes, *, status: str, version: datetime,
           completed_at: datetime | None = None, rows: dict[str, int] | None = None, objects: int = 0,
           in_flight: int = 0) -> None:
    db = store.database
    rows_map = "map(" + ", ".join(f"{string(t)}, {n}" for t, n in (rows or {}).items()) + ")"
    completed = f"fromUnixTimestamp64Milli({_ms(completed_at)})" if completed_at else "NULL"
    store.command(
        f"INSERT INTO {db}.deletion_audit (request_id, install_hash, reason, status, requested_at, completed_at, "
        f"rows_removed, objects_removed, in_flight_removed, version) VALUES ("
        f"{string(str(request.request_id))}, {string(install_hash(key, request.install_id))}, "
        f"{string(request.reason)}, {string(status)}, fromUnixTimestamp64Milli({_ms(request.requested_at)}), "
        f"{completed}, {rows_map}, {objects}, {in_flight}, {_ms(version)})"
    )


def register(store: ClickHouseStore, requests: Sequence[DeletionRequest], key: bytes, now: datetime) -> None:
    """Queue the requests (the id waits there) and open their audit records (the hash only)."""
    db = store.database
    for request in requests:
        store.command(
            f"INSERT INTO {db}.deletion_queue (request_id, install_id, reason, requested_at) VALUES ("
            f"{string(str(request.request_id))}, {string(str(request.install_id))}, {string(request.reason)}, "
            f"fromUnixTimestamp64Milli({_ms(request.requested_at)}))"
        )
        _audit(store, request, key, status="pending", version=now)


def pending(store: ClickHouseStore) -> list[DeletionRequest]:
    result = store.query(f"SELECT request_id, install_id, reason, requested_at FROM {store.database}.deletion_queue "
                         "ORDER BY requested_at")
    return [DeletionRequest(r[0], r[1], r[2], _utc(r[3])) for r in result.rows]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _object_keys(store: ClickHouseStore, install_id: uuid.UUID) -> list[str]:
    result = store.query(f"SELECT minidump_key, attachment_keys FROM {store.database}.crashes "
                         f"WHERE install_id = {string(str(install_id))}")
    keys: list[str] = []
    for dump_key, attachments in result.rows:
        keys += ([dump_key] if dump_key else []) + list(attachments)
    return keys


def _erase(store: ClickHouseStore, objects: ObjectStore, install_id: uuid.UUID) -> tuple[dict[str, int], int]:
    """Objects first (their keys are found through the rows), then the rows of every table."""
    keys = _object_keys(store, install_id)
    for key in keys:
        objects.delete(key)
    removed: dict[str, int] = {}
    where = f"install_id = {string(str(install_id))}"
    for table in DATA_TABLES:
        removed[table] = int(store.query(f"SELECT count() FROM {store.database}.{table} WHERE {where}").rows[0][0])
        if removed[table]:
            store.command(f"ALTER TABLE {Target.of(store).mutate(table)} DELETE WHERE {where} "
                          "SETTINGS mutations_sync = 2")
    return removed, len(keys)


def run_deletions(store: ClickHouseStore, objects: ObjectStore, key: bytes, now: datetime,
                  in_flight: dict[uuid.UUID, int] | None = None) -> DeletionOutcome:
    """Complete every queued request; safe to re-run (a done request has left the queue, rows are gone)."""
    outcome = DeletionOutcome(rows={table: 0 for table in DATA_TABLES})
    for request in pending(store):
        rows, count = _erase(store, objects, request.install_id)
        dropped = (in_flight or {}).get(request.request_id, 0)
        _audit(store, request, key, status="done", version=now, completed_at=now, rows=rows, objects=count,
               in_flight=dropped)
        store.command(f"ALTER TABLE {Target.of(store).mutate('deletion_queue')} DELETE WHERE request_id = "
                      f"{string(str(request.request_id))} SETTINGS mutations_sync = 2")
        outcome.requests += 1
        outcome.objects += count
        for table, n in rows.items():
            outcome.rows[table] += n
    return outcome


def blocked_since(store: ClickHouseStore, since: datetime) -> list[tuple[str, datetime]]:
    """Hashes of installs with a deletion requested after `since`: the block list the writer publishes."""
    result = store.query(f"SELECT install_hash, max(requested_at) FROM {store.database}.deletion_audit FINAL "
                         f"WHERE requested_at >= fromUnixTimestamp64Milli({_ms(since)}) GROUP BY install_hash")
    return [(digest, _utc(when)) for digest, when in result.rows]


def pending_figures(store: ClickHouseStore, now: datetime) -> tuple[int, float]:
    """Pending requests and the age in seconds of the oldest: the figures the deletion SLA is watched by."""
    result = store.query(f"SELECT count(), min(requested_at) FROM {store.database}.deletion_queue")
    count, oldest = result.rows[0] if result.rows else (0, None)
    age = (now - _utc(oldest)).total_seconds() if count and oldest else 0.0
    return int(count), round(max(age, 0.0), 1)


def pending_summary(store: ClickHouseStore, now: datetime) -> dict[str, object]:
    count, age = pending_figures(store, now)
    return {"pending": count, "oldest_pending_age_s": age}


def deletions_job(ctx: JobContext) -> JobResult:
    outcome = run_deletions(ctx.store, ctx.objects, ctx.hash_key, ctx.now())
    return JobResult("deletions", outcome.rows, outcome.objects, {"requests": outcome.requests})
