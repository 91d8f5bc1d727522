"""The cluster side that can be checked without a cluster, by the real engine (chDB):

- every statement the jobs send in cluster mode parses (formatQuery), ON CLUSTER and all;
- the staging table's cluster form (CREATE ... AS the table with another engine) is accepted by REPLACE PARTITION,
  executed here with the non-replicated engine of the same family;
- schemas/cluster/ cannot drift from schemas/: once parsed, each cluster statement equals its single-node one
  after taking away only what clustering adds (ON CLUSTER, `_local`, Replicated and its Keeper arguments), so
  columns, indexes, partitioning, ORDER BY (the dedup key), version columns, TTLs and views are the same.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cluster_jobs import formatted, run_every_job

from storage.clickhouse.client import ClickHouseStore
from storage.clickhouse.migrate import Migration, load_migrations, migrate, render
from storage.jobs.staging import Staging
from storage.rows import EventRow

CLUSTER = "consentry_cluster"
REPLICATED = re.compile(r"Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(?:, (\w+))?\)")


def test_every_cluster_statement_of_the_jobs_parses(store: ClickHouseStore, tmp_path: Path) -> None:
    recorded = run_every_job(CLUSTER, tmp_path)
    assert len(recorded.commands) > 10
    for sql in recorded.commands + recorded.queries:
        text = formatted(store, sql)
        if sql.startswith(("ALTER", "CREATE", "DROP", "TRUNCATE")) and "rollup_breakdown_keys" not in sql:
            assert f"ON CLUSTER {CLUSTER}" in text, text


def test_a_stage_made_with_another_engine_can_replace_a_day(store: ClickHouseStore) -> None:
    """What the cluster stage relies on: CREATE TABLE ... AS <table> ENGINE = <other> keeps the key and indexes
    REPLACE PARTITION checks (here the non-replicated engine; Replicated needs Keeper)."""
    migrate(store)
    day = datetime.now(UTC) - timedelta(days=1)
    store.insert_events([EventRow(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "open", day, day, "a", "1", "ios", "17",
                                  "phone", "1", {}, {}, {}, {}) for _ in range(5)])
    stage = Staging(store, "events")
    sql = stage.create_sql()[0] + " ENGINE = ReplacingMergeTree"
    assert "ENGINE" not in stage.create_sql()[0]  # one server: the same engine as the table
    store.command(sql)
    store.command(stage.copy_sql(f"{day:%Y%m%d}", "toStartOfHour(ts) AS ts"))
    store.command(stage.swap_sql(f"{day:%Y%m%d}"))
    rows = store.query(f"SELECT count(), countIf(ts = toStartOfHour(ts)) FROM {store.database}.events").rows
    assert rows == [[5, 5]]
    for drop in stage.drop_sql():
        store.command(drop)


def _single_node_form(store: ClickHouseStore, statement: str) -> str:
    text = formatted(store, render(statement, "consentry", CLUSTER))
    text = text.replace(f" ON CLUSTER {CLUSTER}", "").replace("_local", "")
    return REPLICATED.sub(lambda m: f"{m.group(1)}({m.group(2)})" if m.group(2) else m.group(1), text)


@pytest.mark.parametrize("pair", list(zip(load_migrations(), load_migrations(cluster=True), strict=True)),
                         ids=lambda pair: pair[0].name)
def test_cluster_ddl_matches_the_single_node_ddl(store: ClickHouseStore, pair: tuple[Migration, Migration]) -> None:
    single, cluster = pair
    expected = [formatted(store, render(statement, "consentry")) for statement in single.statements]
    mirrored = [_single_node_form(store, statement) for statement in cluster.statements
                if "ENGINE = Distributed(" not in statement]
    # A column added to a shard table is added to its Distributed twin next: both read the same once `_local`
    # is removed, and the single-node file has it once.
    mirrored = [text for index, text in enumerate(mirrored) if index == 0 or text != mirrored[index - 1]]
    assert mirrored == expected


DRIFTS = [("INTERVAL 180 DAY", "INTERVAL 90 DAY"), ("event_id)", "install_id)"),  # TTL, dedup key
          ("props_bool     Map", "props_flag     Map"), ("'{replica}')", "'{replica}', ts)")]  # column, version


@pytest.mark.parametrize(("old", "new"), DRIFTS)
def test_a_drifted_cluster_statement_is_caught(store: ClickHouseStore, old: str, new: str) -> None:
    single, cluster = load_migrations()[0], load_migrations(cluster=True)[0]
    local = cluster.statements[0]
    assert old in local
    expected = formatted(store, render(single.statements[0], "consentry"))
    assert _single_node_form(store, local) == expected
    assert _single_node_form(store, local.replace(old, new)) != expected
