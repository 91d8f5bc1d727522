"""Small SQL helpers for the jobs: literals and what system.parts says about a table's day partitions."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from storage.clickhouse.client import ClickHouseStore, string
from storage.clickhouse.target import Target


class Partition(msgspec.Struct, frozen=True):
    """One active day partition: `max_block` grows with every insert (merges and mutations keep it).

    On a cluster `rows` is the sum over shards and `max_block` the sum of each shard's maximum: block numbers are
    per shard, and an insert into any shard raises the sum (one replica per shard is read; replicas share them).
    """

    day: date
    partition_id: str
    rows: int
    max_block: int


def timestamp(value: datetime) -> str:
    """A DateTime64(3, 'UTC') literal from an aware datetime."""
    return f"toDateTime64({string(value.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3])}, 3, 'UTC')"


def table_exists(store: ClickHouseStore, table: str) -> bool:
    sql = (f"SELECT count() FROM system.tables WHERE database = {string(store.database)} "
           f"AND name = {string(table)}")
    return bool(store.query(sql, read_only=False).rows[0][0])


def day_partitions(store: ClickHouseStore, table: str, *, before: date | None = None) -> list[Partition]:
    """Active partitions of a table partitioned by toDate(...), oldest first; optionally only days before `before`."""
    where = f" AND partition_id < {string(f'{before:%Y%m%d}')}" if before else ""
    return _partitions(store, table, where)


def partition_of(store: ClickHouseStore, table: str, day: date) -> Partition | None:
    """The partition of `day` as it is now; None once it has no active part (dropped, or all rows expired)."""
    found = _partitions(store, table, f" AND partition_id = {string(f'{day:%Y%m%d}')}")
    return found[0] if found else None


def _partitions(store: ClickHouseStore, table: str, where: str) -> list[Partition]:
    # Metadata only: system.parts answers from the parts list without reading any data.
    target = Target.of(store)
    shard = ", _shard_num" if target.cluster else ""  # cluster(): the shard each system.parts row came from
    sql = (f"SELECT partition_id, sum(rows), sum(block) FROM (SELECT partition_id, sum(rows) AS rows, "
           f"max(max_block_number) AS block FROM {target.parts} WHERE database = {string(store.database)} "
           f"AND table = {string(target.local_name(table))} AND active{where} GROUP BY partition_id{shard}) "
           f"GROUP BY partition_id ORDER BY partition_id")
    return [Partition(_day(pid), pid, int(rows), int(block))
            for pid, rows, block in store.query(sql, read_only=False).rows]


def _day(partition_id: str) -> date:
    return date(int(partition_id[:4]), int(partition_id[4:6]), int(partition_id[6:8]))
