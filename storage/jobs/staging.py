"""The de-identify job's staging table: made for one run, filled per day, swapped in, dropped afterwards.

One server: `<table>_deidentify_stage` is created AS the table (so it follows schema changes) and filled with
INSERT ... SELECT. On a cluster each shard must rewrite its own rows in place, because the swap
(`REPLACE PARTITION ... FROM stage`) runs on every shard and takes the shard's own stage. So:
- the stage is a replicated table on every node (its own Keeper path per shard), AS the `_local` table;
- a Distributed `<stage>_all` over it with no sharding key, and the copy is `INSERT INTO <stage>_all SELECT ...
  FROM <table>` with parallel_distributed_insert_select = 2: each shard copies its `_local` rows into its own stage.
  Re-sharding through the initiator would be wrong (the install id, the sharding key, is nil after the rewrite);
  with no sharding key an insert that did not run per shard fails instead of scattering rows.
- the pending-deletion filter reads `deletion_queue_local`: the queue is sharded by install like the data, so
  each shard's queue holds exactly the requests for the installs whose rows it has.
"""

from __future__ import annotations

from typing import Self

from storage.clickhouse.client import ClickHouseStore
from storage.clickhouse.target import Target

STAGE_SUFFIX = "_deidentify_stage"


class Staging:
    def __init__(self, store: ClickHouseStore, table: str, suffix: str = STAGE_SUFFIX) -> None:
        """`suffix`: each job that rewrites days has its own stage, so two jobs never fill the same one."""
        self._store = store
        self._target = Target.of(store)
        self._table = table
        self.name = table + suffix

    @property
    def _distributed(self) -> str:
        return f"{self.name}_all"

    def create_sql(self) -> list[str]:
        t, name = self._target, self.name
        if not t.cluster:
            return [f"CREATE TABLE {t.ddl(name)} AS {t.read(self._table)}"]
        keeper = f"/clickhouse/tables/{{shard}}/{t.database}/{name}"
        return [f"CREATE TABLE {t.ddl(name)} AS {t.local(self._table)} "
                f"ENGINE = ReplicatedReplacingMergeTree('{keeper}', '{{replica}}')",
                f"CREATE TABLE {t.ddl(self._distributed)} AS {t.read(name)} "
                f"ENGINE = Distributed('{t.cluster}', {t.database}, {name})"]

    def drop_sql(self) -> list[str]:
        # SYNC: a replicated table's Keeper path is freed now, so the next run can create the stage again.
        names = [self._distributed, self.name] if self._target.cluster else [self.name]
        return [f"DROP TABLE IF EXISTS {self._target.ddl(name)} SYNC" for name in names]

    def truncate_sql(self) -> str:
        return f"TRUNCATE TABLE {self._target.ddl(self.name)}"

    def copy_sql(self, partition_id: str, replace: str) -> str:
        """Copy one day transformed by `replace` (a SELECT * REPLACE list), leaving out installs being deleted.

        optimize_on_insert = 0: no ReplacingMergeTree dedup of the copied block (six times faster); the rows are
        copied exactly as stored, duplicates included, and background merges dedup them as before. Installs with
        a pending deletion request are left out: their rows go with the swap instead of coming back
        (de-identified) after the deletion ran on the old partition."""
        t = self._target
        into = t.read(self._distributed) if t.cluster else t.read(self.name)
        per_shard = ", parallel_distributed_insert_select = 2" if t.cluster else ""
        return (f"INSERT INTO {into} SELECT * REPLACE ({replace}) FROM {t.read(self._table)} "
                f"WHERE _partition_id = '{partition_id}' AND install_id NOT IN "
                f"(SELECT install_id FROM {t.local('deletion_queue')}) SETTINGS optimize_on_insert = 0{per_shard}")

    def swap_sql(self, partition_id: str) -> str:
        """Replace the day with the stage's copy, atomically for readers (on a cluster: every shard its own)."""
        return (f"ALTER TABLE {self._target.mutate(self._table)} REPLACE PARTITION ID '{partition_id}' FROM "
                f"{self._target.read(self.name)} SETTINGS allow_replace_partition_from_empty_source = 1, "
                "replication_alter_partitions_sync = 2")

    def __enter__(self) -> Self:
        for sql in self.drop_sql() + self.create_sql():
            self._store.command(sql)
        return self

    def __exit__(self, *exc: object) -> None:
        for sql in self.drop_sql():
            self._store.command(sql)
