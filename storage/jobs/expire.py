"""Expire: drop whole day partitions past the delete threshold, keep table TTLs equal to the policy, and delete
crash objects past the objects threshold.

Why drop partitions and keep the TTL too: DROP PARTITION is immediate and metadata-only, and it lets the job say
exactly how many rows went; a TTL alone deletes only when ClickHouse merges (merge_with_ttl_timeout, 4 h by
default) and reports nothing. The TTL stays as the backstop for a deployment whose jobs stop running.
"""

from __future__ import annotations

from storage.clickhouse.target import Target
from storage.jobs.base import JobContext, JobResult
from storage.jobs.policy import cutoff
from storage.jobs.sql import Partition, day_partitions, table_exists
from storage.jobs.sweep import sweep_objects
from storage.jobs.ttl import EXPIRING, Expiring, sync_ttl


def expire(ctx: JobContext) -> JobResult:
    changed = sync_ttl(ctx.store, ctx.policy)
    drops = [(item, part) for item in EXPIRING if item.day_partitions for part in _expired(ctx, item)]
    rows = {item.table: 0 for item in EXPIRING if item.day_partitions}
    ctx.progress(0, len(drops) + 1)
    for index, (item, part) in enumerate(drops):
        # On a cluster: `<table>_local ON CLUSTER`, so every shard drops its part of the day (see clickhouse/target.py).
        ctx.store.command(f"ALTER TABLE {Target.of(ctx.store).mutate(item.table)} DROP PARTITION ID "
                          f"'{part.partition_id}' SETTINGS replication_alter_partitions_sync = 2")
        rows[item.table] += part.rows
        ctx.progress(index + 1, len(drops) + 1)
    objects, cleared = sweep_objects(ctx, lambda done, total: None)
    ctx.progress(len(drops) + 1, len(drops) + 1)
    details: dict[str, object] = {"partitions_dropped": len(drops), "ttl_changed": changed,
                                  "crash_rows_keys_cleared": cleared}
    return JobResult("expire", rows, objects, details)


def _expired(ctx: JobContext, item: Expiring) -> list[Partition]:
    if not table_exists(ctx.store, item.table):
        return []
    return day_partitions(ctx.store, item.table, before=cutoff(ctx.now(), item.days(ctx.policy)))
