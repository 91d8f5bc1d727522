"""Keep each table's ClickHouse TTL equal to the configured delete threshold (the backstop when no job runs)."""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from storage.clickhouse.client import ClickHouseStore, string
from storage.clickhouse.target import Target
from storage.jobs.policy import RetentionPolicy

_TTL_DAYS = re.compile(r"\bTTL\b.*?toIntervalDay\((\d+)\)", re.S)


class Expiring(msgspec.Struct, frozen=True):
    table: str
    column: str  # the row's age is measured from this DateTime/DateTime64 column
    days: Callable[[RetentionPolicy], int]
    day_partitions: bool  # PARTITION BY toDate(column): the expire job drops whole expired days


# Tables that age out. More register here (e.g. the deletion audit: deletion_audit_days); a table that does
# not exist yet is skipped.
EXPIRING: list[Expiring] = [
    Expiring("events", "ts", lambda p: p.events_delete_days, day_partitions=True),
    Expiring("crashes", "ts", lambda p: p.crashes_delete_days, day_partitions=True),
    Expiring("deletion_audit", "requested_at", lambda p: p.deletion_audit_days, day_partitions=False),
    # Report rollups: monthly partitions, so the TTL (day granularity) expires them, not the partition drop.
    Expiring("rollup_events_daily", "day", lambda p: p.rollups_delete_days, day_partitions=False),
    Expiring("rollup_props_daily", "day", lambda p: p.rollups_delete_days, day_partitions=False),
    Expiring("rollup_active_daily", "day", lambda p: p.rollups_delete_days, day_partitions=False),
    Expiring("rollup_active_trailing", "day", lambda p: p.rollups_delete_days, day_partitions=False),
    Expiring("rollup_crashes_daily", "day", lambda p: p.rollups_delete_days, day_partitions=False),
    # Per-install rows: kept no longer than identifiable events (a week goes once its Monday is past the
    # de-identify threshold), so the rollup never keeps an install id the events have already given up. It is
    # partitioned by its Monday (a Date, so the partition id reads as that day): the expire job drops whole
    # weeks at once rather than waiting for a TTL merge.
    Expiring("rollup_install_weeks", "week", lambda p: p.events_deidentify_days, day_partitions=True),
]


def current_ttl_days(store: ClickHouseStore, table: str) -> int | None:
    """The table's TTL in days, None if it has none; also None when the table does not exist. On a cluster, the
    TTL of this node's `_local` table (a Distributed table has none; ON CLUSTER keeps the nodes equal)."""
    local = Target.of(store).local_name(table)
    rows = store.query(f"SELECT engine_full FROM system.tables WHERE database = {string(store.database)} "
                       f"AND name = {string(local)}", read_only=False).rows
    match = _TTL_DAYS.search(rows[0][0]) if rows else None
    return int(match.group(1)) if match else None


def sync_ttl(store: ClickHouseStore, policy: RetentionPolicy) -> list[str]:
    """ALTER ... MODIFY TTL where it differs from the policy; return the tables changed.

    materialize_ttl_after_modify = 0: recomputing TTL for every existing part would rewrite the whole table;
    the expire job drops the old days instead, and new parts carry the new TTL.
    """
    changed = []
    for item in EXPIRING:
        days = item.days(policy)
        current = current_ttl_days(store, item.table)
        if current is None or current == days:
            continue
        store.command(f"ALTER TABLE {Target.of(store).mutate(item.table)} MODIFY TTL toDateTime({item.column}) + "
                      f"INTERVAL {days} DAY DELETE SETTINGS materialize_ttl_after_modify = 0")
        changed.append(item.table)
    return changed
