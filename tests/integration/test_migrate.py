"""Migrations against the real chDB engine: applied once, then a no-op; edited files are caught."""

from __future__ import annotations

import pytest

from storage.clickhouse.client import ClickHouseStore
from storage.clickhouse.migrate import load_migrations, migrate
from storage.errors import MigrationError


def test_migrate_twice_is_a_no_op(store: ClickHouseStore) -> None:
    names = [m.name for m in load_migrations()]
    assert migrate(store) == names
    list_tables = f"SELECT name FROM system.tables WHERE database = '{store.database}' ORDER BY name"
    tables = store.query(list_tables).rows
    assert migrate(store) == []
    assert store.query(list_tables).rows == tables
    ledger = store.query(f"SELECT count() FROM {store.database}.schema_migrations").rows
    assert ledger == [[len(names)]]


def test_changed_migration_is_an_error(store: ClickHouseStore) -> None:
    migrate(store)
    first = load_migrations()[0].name
    store.command(f"ALTER TABLE {store.database}.schema_migrations UPDATE checksum = 'x' WHERE name = '{first}'"
                  " SETTINGS mutations_sync = 1")
    with pytest.raises(MigrationError, match=first):
        migrate(store)


def test_every_statement_is_split_out(store: ClickHouseStore) -> None:
    for migration in load_migrations():
        assert migration.statements, migration.name
        for statement in migration.statements:
            assert not statement.rstrip().endswith(";")
