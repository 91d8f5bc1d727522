"""Deletion requests: register them, then remove every row and object of the installs, and audit by hash only.

Every pending request is erased in batches (up to BATCH installs), each batch with one pass per table, not one
mutation per install: a mutation costs what the parts it visits cost, not the rows it removes, so per-install
mutations made 100 requests take 53 min on 10M events (issue 22). Per batch and table:

1. one read lists the day (week) partitions holding rows of the batch's installs, and the rows per install (the
   audit's figures): tables and partitions without such rows are never touched;
2. each such partition is rewritten the way de-identification rewrites days (storage/jobs/staging.py): copied
   into a stage without the rows of the batch's installs, then swapped in with REPLACE PARTITION. On 2M events
   (bench/deletion_statements_bench.py) that took 4.2 / 5.0 / 8.3 s for 1 / 100 / 1,000 installs, against
   12.2 / 20.3 / 32.1 s for `ALTER TABLE ... DELETE WHERE install_id IN (...)` and 10.9 / 13.7 / 47.2 s for a
   lightweight `DELETE FROM`. The rows are physically gone once the old parts are cleaned up, as with ALTER.
   The swap is optimistic like de-identification's: a partition that changed between the copy and the swap (an
   insert from another collector) is copied again, then, and on a server for the days still receiving events
   (today and yesterday), erased with `ALTER TABLE ... DELETE IN PARTITION ... WHERE install_id IN (...)`
   instead, which no concurrent insert can undo. On the embedded engine nothing else writes (the writer runs
   this holding its lock and the store's only thread): one copy takes all of a table's affected partitions and
   each is swapped in, unchecked.
3. the objects (dumps, attachments) of the batch's crash rows are deleted first, their keys read from the rows;
4. the audit records are closed in one INSERT and the queue settled in one ALTER (one write each).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import msgspec

from storage.clickhouse.client import ClickHouseStore, string
from storage.clickhouse.target import Target
from storage.jobs.base import JobContext, JobResult
from storage.jobs.sql import Partition, day_partitions, partition_of
from storage.jobs.staging import Staging
from storage.objects import ObjectStore
from storage.privacy import install_hash

# Every table holding per-install rows. rollup_install_weeks (schemas/0007) is the one rollup keyed by install;
# the others hold only counts and uniqCombined sketches, which cannot be tied back to one install (docs/reports.md).
DATA_TABLES = ("events", "crashes", "rollup_install_weeks")
# Installs per batch: one statement lists them all, and 5,000 UUID literals (~200 KB) stay under the engine's
# default max_query_size (256 KiB). More pending requests are erased in further batches of the same run.
BATCH = 5_000
ATTEMPTS = 3  # copies of a partition that changes under the rewrite before it is erased by a mutation instead
HOT_DAYS = 2  # on a server, today's and yesterday's partitions still receive events: mutate them, never swap
PARTITION_DAYS = {"rollup_install_weeks": 7}  # days one partition spans (1 for the rest): this week's is hot too


class DeletionRequest(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    install_id: uuid.UUID
    reason: str
    requested_at: datetime


class BatchFigures(msgspec.Struct, frozen=True):
    requests: int
    installs: int
    seconds: float
    partitions: int  # partitions rewritten (swapped)
    mutations: int  # partitions erased by ALTER ... DELETE IN PARTITION instead


class DeletionOutcome(msgspec.Struct):
    requests: int = 0
    rows: dict[str, int] = {}
    objects: int = 0
    batches: list[BatchFigures] = []


class DeletionStage(Staging):
    """The de-identification stage under its own name (the two jobs never share one), copying rows unchanged."""

    def __init__(self, store: ClickHouseStore, table: str) -> None:
        super().__init__(store, table)
        self.name = table + "_deletion_stage"

    def keep_sql(self, partition_ids: Sequence[str], where: str) -> str:
        """Copy partitions without the rows matching `where` (the batch's installs), as Staging.copy_sql copies:
        per shard on a cluster, no dedup on insert. Only the batch's rows go: the audit counts them."""
        t = self._target
        into = t.read(self._distributed) if t.cluster else t.read(self.name)
        per_shard = ", parallel_distributed_insert_select = 2" if t.cluster else ""
        which = (f"= {string(partition_ids[0])}" if len(partition_ids) == 1
                 else "IN (" + ", ".join(string(p) for p in partition_ids) + ")")
        return (f"INSERT INTO {into} SELECT * FROM {t.read(self._table)} WHERE _partition_id {which} "
                f"AND NOT ({where}) SETTINGS optimize_on_insert = 0, max_partitions_per_insert_block = 0{per_shard}")


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _when(value: datetime) -> str:
    """A DateTime64(3, 'UTC') value as a plain literal: VALUES made only of literals take the engine's fast
    parser, where one function call per row (fromUnixTimestamp64Milli) made 1,000 audit rows cost 2.5 s."""
    return string(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])


def _audit_rows(requests: Sequence[DeletionRequest], key: bytes, *, status: str, version: datetime,
                completed_at: datetime | None = None, rows: dict[uuid.UUID, dict[str, int]] | None = None,
                objects: dict[uuid.UUID, int] | None = None, in_flight: dict[uuid.UUID, int] | None = None) -> str:
    """VALUES of one audit row per request; rows, objects and in_flight are keyed by request id."""
    completed = _when(completed_at) if completed_at else "NULL"
    values = []
    for request in requests:
        removed = (rows or {}).get(request.request_id, {})
        rows_map = "{" + ", ".join(f"{string(t)}: {n}" for t, n in removed.items()) + "}"
        values.append(
            f"({string(str(request.request_id))}, {string(install_hash(key, request.install_id))}, "
            f"{string(request.reason)}, {string(status)}, {_when(request.requested_at)}, "
            f"{completed}, {rows_map}, {(objects or {}).get(request.request_id, 0)}, "
            f"{(in_flight or {}).get(request.request_id, 0)}, {_ms(version)})")
    return ", ".join(values)


def _audit(store: ClickHouseStore, requests: Sequence[DeletionRequest], key: bytes, **fields: object) -> None:
    """One INSERT for all the requests' audit records (a replacing row each: version = the change's time)."""
    if requests:
        store.command(
            f"INSERT INTO {store.database}.deletion_audit (request_id, install_hash, reason, status, requested_at, "
            f"completed_at, rows_removed, objects_removed, in_flight_removed, version) VALUES "
            + _audit_rows(requests, key, **fields))  # type: ignore[arg-type]


def register(store: ClickHouseStore, requests: Sequence[DeletionRequest], key: bytes, now: datetime) -> None:
    """Queue the requests (the id waits there) and open their audit records (the hash only): one INSERT each."""
    if not requests:
        return
    values = ", ".join(
        f"({string(str(r.request_id))}, {string(str(r.install_id))}, {string(r.reason)}, "
        f"{_when(r.requested_at)})" for r in requests)
    store.command(f"INSERT INTO {store.database}.deletion_queue (request_id, install_id, reason, requested_at) "
                  f"VALUES {values}")
    _audit(store, requests, key, status="pending", version=now)


def pending(store: ClickHouseStore, limit: int | None = None) -> list[DeletionRequest]:
    """Queued requests, oldest first (each once: a re-registered request may sit in the queue twice)."""
    cap = f" LIMIT {limit}" if limit else ""
    result = store.query(f"SELECT request_id, install_id, reason, requested_at FROM {store.database}.deletion_queue "
                         f"ORDER BY requested_at, request_id{cap}")
    seen: dict[uuid.UUID, DeletionRequest] = {}
    for r in result.rows:
        seen.setdefault(r[0], DeletionRequest(r[0], r[1], r[2], _utc(r[3])))
    return list(seen.values())


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _in(ids: Sequence[uuid.UUID]) -> str:
    return "(" + ", ".join(string(str(i)) for i in ids) + ")"


def _object_keys(store: ClickHouseStore, where: str) -> dict[uuid.UUID, list[str]]:
    result = store.query(f"SELECT install_id, minidump_key, attachment_keys FROM {store.database}.crashes "
                         f"WHERE {where}")
    keys: dict[uuid.UUID, list[str]] = {}
    for install, dump_key, attachments in result.rows:
        keys.setdefault(install, []).extend(([dump_key] if dump_key else []) + list(attachments))
    return keys


def _rows_by_partition(store: ClickHouseStore, table: str, where: str) -> tuple[dict[uuid.UUID, int], list[str]]:
    """Rows per install and the partitions holding any, in one read (the bloom-filter index skips the rest)."""
    result = store.query(f"SELECT install_id, _partition_id, count() FROM {store.database}.{table} WHERE {where} "
                         "GROUP BY install_id, _partition_id")
    per_install: dict[uuid.UUID, int] = {}
    partitions: set[str] = set()
    for install, partition_id, n in result.rows:
        per_install[install] = per_install.get(install, 0) + int(n)
        partitions.add(partition_id)
    return per_install, sorted(partitions)


def _day(partition_id: str) -> date:
    return date(int(partition_id[:4]), int(partition_id[4:6]), int(partition_id[6:8]))


def _erase_partition(store: ClickHouseStore, stage: DeletionStage, table: str, partition_id: str, where: str, *,
                     hot_from: date, listed: dict[str, Partition]) -> bool:
    """On a server: rewrite one partition without the batch's installs if it did not change during the copy
    (`listed`: the table's partitions before the batch); True if swapped, False if erased by a mutation."""
    day = _day(partition_id)
    if day + timedelta(days=PARTITION_DAYS.get(table, 1)) <= hot_from:
        before = listed.get(partition_id)
        for attempt in range(ATTEMPTS):
            if attempt:  # only a retried copy finds its partition in the stage already
                store.command(stage.truncate_sql())
                before = partition_of(store, table, day)
            if before is None:
                return True  # dropped (expired) meanwhile: nothing left
            store.command(stage.keep_sql([partition_id], where))
            after = partition_of(store, table, day)
            if after is not None and after.max_block == before.max_block and after.rows == before.rows:
                store.command(stage.swap_sql(partition_id))
                return True
    store.command(f"ALTER TABLE {Target.of(store).mutate(table)} DELETE IN PARTITION ID {string(partition_id)} "
                  f"WHERE {where} SETTINGS mutations_sync = 2")
    return False


def _erase_batch(store: ClickHouseStore, objects: ObjectStore, key: bytes, batch: list[DeletionRequest],
                 now: datetime, in_flight: dict[uuid.UUID, int], outcome: DeletionOutcome) -> None:
    started = time.monotonic()
    installs = sorted({r.install_id for r in batch})
    where = f"install_id IN {_in(installs)}"
    keys = _object_keys(store, where)  # objects first: their keys are found through the rows
    for install_keys in keys.values():
        for object_key in install_keys:
            objects.delete(object_key)
    # The embedded engine has no other writer; a server may (other collectors), so its recent days are mutated.
    hot_from = now.date() - timedelta(days=HOT_DAYS - 1)
    removed: dict[uuid.UUID, dict[str, int]] = {install: {} for install in installs}
    swapped = mutated = 0
    for table in DATA_TABLES:
        per_install, partitions = _rows_by_partition(store, table, where)
        for install in installs:
            removed[install][table] = per_install.get(install, 0)
        if partitions and store.embedded:  # nothing else writes: one copy of every partition, a swap each
            with DeletionStage(store, table) as stage:
                store.command(stage.keep_sql(partitions, where))
                for partition_id in partitions:
                    store.command(stage.swap_sql(partition_id))
            swapped += len(partitions)
        elif partitions:
            listed = {p.partition_id: p for p in day_partitions(store, table)}
            with DeletionStage(store, table) as stage:
                for partition_id in partitions:
                    if _erase_partition(store, stage, table, partition_id, where, hot_from=hot_from, listed=listed):
                        swapped += 1
                    else:
                        mutated += 1
        outcome.rows[table] = outcome.rows.get(table, 0) + sum(per_install.values())
    # A second request for one install in the same batch: the rows and objects are counted once, on the first.
    first: dict[uuid.UUID, uuid.UUID] = {}
    for request in batch:
        first.setdefault(request.install_id, request.request_id)
    counted = {r.request_id for r in batch if first[r.install_id] == r.request_id}
    _audit(store, batch, key, status="done", version=now, completed_at=now,
           rows={r.request_id: removed[r.install_id] if r.request_id in counted else dict.fromkeys(DATA_TABLES, 0)
                 for r in batch},
           objects={r.request_id: len(keys.get(r.install_id, [])) for r in batch if r.request_id in counted},
           in_flight=in_flight)
    store.command(f"ALTER TABLE {Target.of(store).mutate('deletion_queue')} DELETE WHERE request_id IN "
                  f"{_in([r.request_id for r in batch])} SETTINGS mutations_sync = 2")
    outcome.requests += len(batch)
    outcome.objects += sum(len(k) for k in keys.values())
    outcome.batches.append(BatchFigures(len(batch), len(installs), round(time.monotonic() - started, 3),
                                        swapped, mutated))


def run_deletions(store: ClickHouseStore, objects: ObjectStore, key: bytes, now: datetime,
                  in_flight: dict[uuid.UUID, int] | None = None, batch_size: int = BATCH) -> DeletionOutcome:
    """Complete every queued request, a batch at a time; safe to re-run (a done request has left the queue)."""
    outcome = DeletionOutcome(rows={table: 0 for table in DATA_TABLES})
    while batch := pending(store, batch_size):
        _erase_batch(store, objects, key, batch, now, in_flight or {}, outcome)
        if len(batch) < batch_size:
            break
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
    return JobResult("deletions", outcome.rows, outcome.objects, {
        "requests": outcome.requests, "batches": len(outcome.batches),
        "partitions_rewritten": sum(b.partitions for b in outcome.batches),
        "partitions_mutated": sum(b.mutations for b in outcome.batches)})
