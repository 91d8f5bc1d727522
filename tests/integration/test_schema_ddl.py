"""Every DDL statement in schemas/ and schemas/cluster/ parses in the real engine (chDB's formatQuery).

Single-node DDL is also executed by test_migrate.py. The cluster DDL is parse-checked only: its Replicated*
and Distributed engines and ON CLUSTER need ZooKeeper / ClickHouse Keeper and a remote_servers config, which
embedded chDB does not have."""

from __future__ import annotations

import re

import pytest
from cluster_jobs import formatted

from ingest.cli.engine import run_migrate
from ingest.settings import ConfigError, Settings
from storage.clickhouse.client import ClickHouseStore
from storage.clickhouse.migrate import Migration, load_ledger, load_migrations, migrate, render
from storage.errors import MigrationError, QueryError

CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS \{database\}\.(\w+)")
KEEPER_PATH = re.compile(r"ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/(?:\{shard\}|all)/\{database\}/(\w+)',"
                         r"\s*'\{replica\}'")

STATEMENTS = [
    pytest.param(statement, cluster, id=f"{'cluster:' if cluster else ''}{migration.name}#{index}")
    for cluster in (False, True)
    for migration in [load_ledger(cluster), *load_migrations(cluster)]
    for index, statement in enumerate(migration.statements)
]


@pytest.mark.parametrize(("statement", "cluster"), STATEMENTS)
def test_statement_parses(store: ClickHouseStore, statement: str, cluster: bool) -> None:
    sql = render(statement, "consentry", "consentry_cluster" if cluster else "")
    text = formatted(store, sql)
    assert "consentry." in text and "{database}" not in text and "{cluster}" not in text
    if text.startswith("CREATE"):
        assert ("ON CLUSTER consentry_cluster" in text) == cluster


def test_a_broken_statement_is_rejected(store: ClickHouseStore) -> None:
    broken = render(load_migrations()[0].statements[0], "consentry").replace("ENGINE =", "ENGINE = (", 1)
    with pytest.raises(QueryError, match="Syntax error"):
        formatted(store, broken)


def test_cluster_files_mirror_the_single_node_files() -> None:
    single = [m.name for m in load_migrations()]
    assert [m.name for m in load_migrations(cluster=True)] == [f"cluster/{name}" for name in single]


@pytest.mark.parametrize("migration", [load_ledger(True), *load_migrations(cluster=True)], ids=lambda m: m.name)
def test_cluster_tables_are_replicated_or_distributed(migration: Migration) -> None:
    """Each table is created ON CLUSTER, and a replicated one's Keeper path names that very table."""
    for statement in migration.statements:
        created = CREATE_TABLE.match(statement)
        if not created:
            continue
        name = created.group(1)
        assert f"{name} ON CLUSTER '{{cluster}}'" in statement
        if "ENGINE = Distributed(" in statement:
            assert f"ENGINE = Distributed('{{cluster}}', {{database}}, {name}_local, " in statement
        else:
            assert KEEPER_PATH.search(statement).group(1) == name  # type: ignore[union-attr]


def test_single_node_migrate_leaves_a_cluster_database_alone(store: ClickHouseStore) -> None:
    migrate(store)
    store.command(f"TRUNCATE TABLE {store.database}.schema_migrations")
    store.command(f"INSERT INTO {store.database}.schema_migrations (name, checksum) VALUES ('cluster/x', 'y')")
    assert migrate(store) == []


def test_cluster_migrate_refuses_embedded_chdb_and_odd_names(settings: Settings, store: ClickHouseStore) -> None:
    with pytest.raises(ConfigError, match="clickhouse.url"):
        run_migrate(settings, "prod")
    with pytest.raises(MigrationError, match="cluster name"):
        migrate(store, "prod' SETTINGS x=1 --")


def test_migrate_follows_the_store_cluster_setting(store: ClickHouseStore) -> None:
    """migrate(store) uses the store's cluster (the clickhouse.cluster setting) unless told otherwise."""
    clustered = ClickHouseStore(store.client, store.database, "bad name'")
    with pytest.raises(MigrationError, match="cluster name"):
        migrate(clustered)
    assert migrate(clustered, cluster="") == [m.name for m in load_migrations()]  # explicit single node wins
