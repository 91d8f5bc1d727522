"""retention_progress: which day partitions a job has finished, so re-runs skip them and resume after a crash."""

from __future__ import annotations

from datetime import date, datetime

from storage.clickhouse.client import ClickHouseStore, string
from storage.jobs.sql import timestamp


def finished(store: ClickHouseStore, data_class: str) -> dict[date, int]:
    """Day -> the partition's max block number when it was finished (a later insert raises the partition's)."""
    rows = store.query(f"SELECT partition, max_block FROM {store.database}.retention_progress FINAL "
                       f"WHERE data_class = {string(data_class)}", read_only=False).rows
    return {day: int(block) for day, block in rows}


def last_finished(store: ClickHouseStore, data_class: str) -> date | None:
    rows = store.query(f"SELECT max(partition), count() FROM {store.database}.retention_progress FINAL "
                       f"WHERE data_class = {string(data_class)}", read_only=False).rows
    return rows[0][0] if rows and rows[0][1] else None


def mark(store: ClickHouseStore, data_class: str, day: date, *, max_block: int, rows: int, now: datetime) -> None:
    store.command(f"INSERT INTO {store.database}.retention_progress (data_class, partition, max_block, rows, done_at) "
                  f"SELECT {string(data_class)}, toDate({string(day.isoformat())}), {int(max_block)}, {int(rows)}, "
                  f"{timestamp(now)}")
