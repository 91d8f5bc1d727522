"""Keep the rollup materialized views' breakdown keys equal to the `reports.breakdown_props` setting."""

from __future__ import annotations

from collections.abc import Sequence

from storage.clickhouse.client import ClickHouseStore, string
from storage.clickhouse.target import Target

ROLLUP_TABLES = ("rollup_events_daily", "rollup_props_daily", "rollup_active_daily", "rollup_active_trailing",
                 "rollup_install_weeks", "rollup_crashes_daily")


def sync_breakdown_keys(store: ClickHouseStore, keys: Sequence[str]) -> bool:
    """Add missing keys, remove dropped ones; True when something changed. New keys count from now on."""
    table = f"{store.database}.rollup_breakdown_keys"
    current = {row[0] for row in store.query(f"SELECT DISTINCT key FROM {table}", read_only=False).rows}
    wanted = set(keys)
    if missing := sorted(wanted - current):
        store.command(f"INSERT INTO {table} (key) VALUES " + ", ".join(f"({string(k)})" for k in missing))
    if extra := sorted(current - wanted):
        # Synchronous: the views read this table on every insert, so the change is whole when we return.
        # On a cluster this table is one replica set spanning every node (no `_local`): Keeper carries the
        # mutation to all of them, and mutations_sync = 2 waits for every replica.
        store.command(f"ALTER TABLE {Target.of(store).mutate('rollup_breakdown_keys')} DELETE WHERE key IN "
                      f"({', '.join(map(string, extra))}) SETTINGS mutations_sync = 2")
    return bool(missing or extra)
