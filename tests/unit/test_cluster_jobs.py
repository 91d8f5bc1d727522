"""In cluster mode every write the jobs make goes to the replicated `_local` tables ON CLUSTER; reads stay on the
Distributed tables. The statements are captured by tests/cluster_jobs.py; tests/integration/test_cluster_jobs.py
has chDB's parser check them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cluster_jobs import DATABASE, HOT_DAY, INSTALL, OLD_DAY, RecordingStore, run_every_job

from ingest.settings import ConfigError, load_settings
from storage.clickhouse.target import Target, sharded_tables

CLUSTER = "prod_cluster"
ON = f"ON CLUSTER '{CLUSTER}'"
ALTER = re.compile(rf"ALTER TABLE {DATABASE}\.(\w+)( {ON})? (\w+ \w+)")
NAMES = re.compile(rf"\b{DATABASE}\.(\w+)")


@pytest.fixture(scope="module")
def cluster_store(tmp_path_factory: pytest.TempPathFactory) -> RecordingStore:
    return run_every_job(CLUSTER, tmp_path_factory.mktemp("cluster"))


def test_sharded_tables_are_read_from_the_cluster_schema() -> None:
    assert {"events", "crashes", "deletion_queue", "deletion_audit", "job_locks", "job_runs", "retention_progress",
            "rollup_events_daily", "rollup_props_daily", "rollup_active_daily", "rollup_active_trailing",
            "rollup_install_weeks", "rollup_crashes_daily"} <= sharded_tables()
    assert not {"rollup_breakdown_keys", "schema_migrations"} & sharded_tables()  # one replica set, no `_local`


def test_every_alter_targets_a_local_table_on_the_cluster(cluster_store: RecordingStore) -> None:
    alters = [ALTER.match(sql) for sql in cluster_store.commands if sql.startswith("ALTER")]
    assert alters and all(alters)
    kinds: dict[str, set[str]] = {}
    for match in alters:
        table, on_cluster, kind = match.groups()  # type: ignore[union-attr]
        kinds.setdefault(kind.split()[0], set()).add(table)
        if table == "rollup_breakdown_keys":  # one replica set over every node: Keeper replicates the mutation
            assert on_cluster is None
        else:
            assert table.endswith("_local") and on_cluster, match.group(0)  # type: ignore[union-attr]
    # Every kind of write the jobs make was seen, on the tables each one is for.
    assert kinds["DROP"] == {"events_local", "crashes_local", "rollup_install_weeks_local"}  # expire
    # de-identify's day swap (events, crashes); deletions rewrite the days (weeks) of every per-install table
    assert kinds["REPLACE"] == {"events_local", "crashes_local", "rollup_install_weeks_local"}
    assert kinds["DELETE"] == {"events_local", "crashes_local", "rollup_install_weeks_local", "deletion_queue_local",
                               "rollup_breakdown_keys"}
    assert kinds["UPDATE"] == {"crashes_local"}  # expire: crash rows lose the keys of swept dumps
    assert kinds["MODIFY"] == {"events_local", "crashes_local", "deletion_audit_local", "rollup_events_daily_local",
                               "rollup_props_daily_local", "rollup_active_daily_local", "rollup_active_trailing_local",
                               "rollup_crashes_daily_local", "rollup_install_weeks_local"}


def test_staging_ddl_runs_on_every_node(cluster_store: RecordingStore) -> None:
    ddl = [sql for sql in cluster_store.commands if sql.startswith(("CREATE", "DROP", "TRUNCATE"))]
    assert {sql.split()[0] for sql in ddl} == {"CREATE", "DROP", "TRUNCATE"}
    for sql in ddl:
        assert ON in sql, sql
    stage = next(sql for sql in ddl if sql.startswith("CREATE TABLE consentry.events_deidentify_stage "))
    # Its own Keeper path (the events_local one would clash), and created AS the local table.
    assert f"AS {DATABASE}.events_local ENGINE = ReplicatedReplacingMergeTree(" in stage
    assert "/clickhouse/tables/{shard}/consentry/events_deidentify_stage" in stage


def test_the_copy_runs_on_each_shard_and_keeps_rows_there(cluster_store: RecordingStore) -> None:
    copies = [sql for sql in cluster_store.commands if sql.startswith("INSERT INTO consentry.events_deidentify")]
    assert copies
    for sql in copies:
        assert sql.startswith("INSERT INTO consentry.events_deidentify_stage_all SELECT")
        assert "parallel_distributed_insert_select = 2" in sql
        assert "FROM consentry.events WHERE" in sql  # the Distributed table, rewritten to events_local per shard
        assert "FROM consentry.deletion_queue_local)" in sql  # co-sharded with the data: no double distribution
    distributed = next(sql for sql in cluster_store.commands if "events_deidentify_stage_all" in sql and
                       sql.startswith("CREATE"))
    # No sharding key: an insert that did not run per shard fails instead of moving rows to other shards.
    assert distributed.endswith(f"ENGINE = Distributed('{CLUSTER}', {DATABASE}, events_deidentify_stage)")


def test_deletions_rewrite_cold_days_and_mutate_hot_ones_on_each_shard(cluster_store: RecordingStore) -> None:
    """One pending request whose install has rows in an old day and in today's: the old day is rewritten through
    the deletion stage (copied per shard, swapped ON CLUSTER); today's, which other collectors still insert into,
    is erased by a mutation on the local tables; the queue is settled by one ALTER."""
    commands = cluster_store.commands
    for table in ("events", "crashes", "rollup_install_weeks"):
        stage = f"{table}_deletion_stage"
        create = next(sql for sql in commands if sql.startswith(f"CREATE TABLE {DATABASE}.{stage} "))
        assert f"/clickhouse/tables/{{shard}}/{DATABASE}/{stage}'" in create and ON in create
        copy = next(sql for sql in commands if sql.startswith(f"INSERT INTO {DATABASE}.{stage}_all SELECT"))
        assert f"_partition_id = '{OLD_DAY}'" in copy and "parallel_distributed_insert_select = 2" in copy
        assert f"FROM {DATABASE}.{table} WHERE" in copy  # the Distributed table, read per shard
        assert f"AND NOT (install_id IN ('{INSTALL}'))" in copy  # the batch's installs left out
        assert f"ALTER TABLE {DATABASE}.{table}_local {ON} REPLACE PARTITION ID '{OLD_DAY}' FROM " \
               f"{DATABASE}.{stage} " in "\n".join(commands)
        hot = [sql for sql in commands if sql.startswith(f"ALTER TABLE {DATABASE}.{table}_local {ON} DELETE IN "
                                                         f"PARTITION ID '{HOT_DAY}' WHERE install_id IN ('{INSTALL}')")]
        assert len(hot) == 1 and "mutations_sync = 2" in hot[0]
        assert not any(f"{table}_local {ON} DELETE WHERE" in sql for sql in commands)  # no whole-table mutation
    settle = [sql for sql in commands if sql.startswith(f"ALTER TABLE {DATABASE}.deletion_queue_local {ON} DELETE")]
    assert len(settle) == 1 and "request_id IN (" in settle[0]
    audits = [sql for sql in commands if sql.startswith(f"INSERT INTO {DATABASE}.deletion_audit ")]
    assert len(audits) == 1 and "'done'" in audits[0]  # closed in one insert; read/insert via the Distributed name


def test_other_inserts_and_reads_use_the_distributed_names(cluster_store: RecordingStore) -> None:
    for sql in cluster_store.commands:
        if sql.startswith("INSERT") and "_deidentify_stage" not in sql and "_rescrub_stage" not in sql:
            assert "_local" not in sql, sql
    for sql in cluster_store.queries:
        names = set(NAMES.findall(sql))
        assert not {name for name in names if name.endswith("_local")}, sql
        if "system.parts" in sql:
            assert f"cluster('{CLUSTER}', system.parts)" in sql and "_shard_num" in sql, sql
            assert re.search(r"`?table`? = '(events|crashes|rollup_install_weeks)_local'", sql), sql


def test_single_node_statements_have_no_cluster_parts(tmp_path: Path) -> None:
    store = run_every_job("", tmp_path)
    assert any(sql.startswith("ALTER TABLE consentry.events ") for sql in store.commands)
    for sql in store.commands + store.queries:
        assert "_local" not in sql and "ON CLUSTER" not in sql and "cluster(" not in sql, sql


def test_target_names() -> None:
    one, many = Target("db"), Target("db", "c")
    assert (one.mutate("events"), one.read("events"), one.parts) == ("db.events", "db.events", "system.parts")
    assert many.mutate("events") == "db.events_local ON CLUSTER 'c'"
    assert many.read("events") == "db.events" and many.local("deletion_queue") == "db.deletion_queue_local"
    assert many.mutate("rollup_breakdown_keys") == "db.rollup_breakdown_keys"
    assert many.ddl("events_deidentify_stage") == "db.events_deidentify_stage ON CLUSTER 'c'"


def test_the_cluster_setting(tmp_path: Path) -> None:
    server = {"CONSENTRY_DATA_DIR": str(tmp_path), "CONSENTRY_CLICKHOUSE_URL": "https://ch.example:8443"}
    assert load_settings(environ=server | {"CONSENTRY_CLICKHOUSE_CLUSTER": "prod.eu-1"}).clickhouse.cluster \
        == "prod.eu-1"
    with pytest.raises(ConfigError, match="clickhouse.cluster"):
        load_settings(environ=server | {"CONSENTRY_CLICKHOUSE_CLUSTER": "x' SETTINGS y=1"})
    with pytest.raises(ConfigError, match="clickhouse.cluster.*embedded chDB"):
        load_settings(environ={"CONSENTRY_DATA_DIR": str(tmp_path), "CONSENTRY_CLICKHOUSE_CLUSTER": "prod"})


def test_rescrub_loads_the_patch_on_every_node_and_copies_per_shard(cluster_store: RecordingStore) -> None:
    """The re-scrub copy looks changed rows up with joinGet, so it stays the per-shard INSERT ... SELECT; the Join
    table it reads is made on every node from a feed replicated to every node, after the feed is synced."""
    commands = cluster_store.commands
    for table, key in (("events", "event_id"), ("crashes", "crash_id")):
        feed, patch = f"{DATABASE}.{table}_rescrub_patch_feed", f"{DATABASE}.{table}_rescrub_patch"
        create = next(sql for sql in commands if sql.startswith(f"CREATE TABLE {feed} {ON}"))
        assert f"ReplicatedMergeTree('/clickhouse/tables/all/{DATABASE}/{table}_rescrub_patch_feed'" in create
        order = [commands.index(sql) for sql in (
            f"INSERT INTO {feed} FORMAT JSONCompactEachRow",
            f"SYSTEM SYNC REPLICA {ON} {feed}",
            f"CREATE TABLE {patch} {ON} ENGINE = Join(ANY, LEFT, {key}) AS SELECT * FROM {feed}")]
        copy = next(sql for sql in commands if sql.startswith(f"INSERT INTO {DATABASE}.{table}_rescrub_stage_all "))
        swap = f"ALTER TABLE {DATABASE}.{table}_local {ON} REPLACE PARTITION ID '{OLD_DAY}' FROM " \
               f"{DATABASE}.{table}_rescrub_stage "
        swaps = [i for i, sql in enumerate(commands) if sql.startswith(swap)]
        assert order == sorted(order) and order[-1] < commands.index(copy) < swaps[0]
        assert f"joinGet('{patch}', 'hit', {key})" in copy and "parallel_distributed_insert_select = 2" in copy
        assert f"FROM {DATABASE}.{table} WHERE _partition_id = '{OLD_DAY}'" in copy
