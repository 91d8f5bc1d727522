"""De-identify: rewrite whole day partitions past the threshold without install/session ids and with hour timestamps.

ClickHouse cannot UPDATE key columns (ts is in the partition key), and a mutation per row would be slow, so each
day is rewritten the ClickHouse way: INSERT INTO a staging table (same structure) SELECT the transformed rows of
that day, then ALTER TABLE ... REPLACE PARTITION from staging, which swaps the day atomically for readers (on a
cluster each shard rewrites its own rows: see jobs/staging.py). Every row keeps its event/crash id and sort key
(toStartOfHour(ts) is unchanged by coarsening ts to the hour), so counts per day and per name stay exactly the
same. A finished day is recorded in retention_progress with the partition's max block number; a later insert
into that day (a late spooled event) raises it and the day is redone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import msgspec

from storage.jobs import ledger
from storage.jobs.base import JobContext, JobResult
from storage.jobs.policy import RetentionPolicy, cutoff
from storage.jobs.sql import Partition, day_partitions, partition_of, table_exists
from storage.jobs.staging import Staging

NIL = "toUUID('00000000-0000-0000-0000-000000000000')"
HOURLY = "toStartOfHour(ts) AS ts, toStartOfHour(received_at) AS received_at"
ATTEMPTS = 3  # a day that changes under the rewrite (an insert, a drop) is retried, then left for the next run


class DataClass(msgspec.Struct, frozen=True):
    name: str  # also the table
    days: Callable[[RetentionPolicy], int]
    replace: str  # the SELECT * REPLACE (...) list: what de-identification changes


# What de-identification removes (docs/operations.md, "Retention and jobs", has the same list):
# events: install_id and session_id -> nil UUID, ts and received_at -> start of the hour.
# crashes: install_id -> nil UUID, ts and received_at -> start of the hour, extra cleared (free-form annotations).
CLASSES = (
    DataClass("events", lambda p: p.events_deidentify_days,
              f"{NIL} AS install_id, {NIL} AS session_id, {HOURLY}"),
    DataClass("crashes", lambda p: p.crashes_deidentify_days,
              f"{NIL} AS install_id, {HOURLY}, CAST(map(), 'Map(LowCardinality(String), String)') AS extra"),
)


def deidentify(ctx: JobContext) -> JobResult:
    plan = [(data, day) for data in CLASSES for day in _pending(ctx, data)]
    rows = {data.name: 0 for data in CLASSES}
    timings: list[float] = []
    skipped = 0
    ctx.progress(0, len(plan))
    for data in CLASSES:
        days = [day for owner, day in plan if owner is data]
        if days:
            with Staging(ctx.store, data.name) as stage:
                for day in days:
                    started = time.monotonic()
                    done = _rewrite(ctx, data, day, stage)
                    if done is None:
                        skipped += 1
                    else:
                        rows[data.name] += done
                        timings.append(time.monotonic() - started)
                    ctx.progress(len(timings) + skipped, len(plan))
    details: dict[str, object] = {"partitions": len(timings), "changed_under_us": skipped,
                                  "max_partition_seconds": round(max(timings, default=0.0), 3)}
    return JobResult("deidentify", rows, 0, details)


def _pending(ctx: JobContext, data: DataClass) -> list[date]:
    """Days past the threshold that were never finished, or got new rows since (a higher max block)."""
    if not table_exists(ctx.store, data.name):
        return []
    done = ledger.finished(ctx.store, data.name)
    before = cutoff(ctx.now(), data.days(ctx.policy))
    return [p.day for p in day_partitions(ctx.store, data.name, before=before) if p.max_block > done.get(p.day, -1)]


def _rewrite(ctx: JobContext, data: DataClass, day: date, stage: Staging) -> int | None:
    """Rewrite one day; the rows rewritten, or None when the day kept changing under us (retried next run)."""
    store = ctx.store
    for _ in range(ATTEMPTS):
        before = partition_of(store, data.name, day)
        if before is None:
            return 0  # dropped (expired) meanwhile: nothing left to de-identify
        store.command(stage.truncate_sql())
        store.command(stage.copy_sql(before.partition_id, data.replace))
        if _unchanged(partition_of(store, data.name, day), before):
            # Optimistic check: an insert or drop between the copy and here would be undone by the swap.
            # An empty stage (every row past the TTL, dropped on insert) empties the day: that is what TTL wants.
            store.command(stage.swap_sql(before.partition_id))
            after = partition_of(store, data.name, day)
            ledger.mark(store, data.name, day, max_block=after.max_block if after else 0, rows=before.rows,
                        now=ctx.now())
            return before.rows
    return None


def _unchanged(now: Partition | None, before: Partition) -> bool:
    """No insert (max block) and no deletion (row count: mutations keep the block number) since the copy."""
    return now is not None and now.max_block == before.max_block and now.rows == before.rows
