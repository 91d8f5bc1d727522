"""Where the jobs' statements go: one server, or a cluster migrated with schemas/cluster/.

On a cluster the single-node names (`events`, `crashes`, ...) are Distributed tables: fine to read and insert
into, but a Distributed table has no parts, so mutations, partition operations and TTL changes must go to the
replicated `<name>_local` tables, on every shard: `ALTER TABLE db.events_local ON CLUSTER 'c' ...`. Which tables
have a `_local` form is read from schemas/cluster/ itself, so the two cannot disagree. Tables replicated to every
node under one Keeper path (rollup_breakdown_keys, schema_migrations) have no `_local` form and keep their name:
Keeper already carries a mutation to all their replicas, and ON CLUSTER would run it once per shard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from storage.clickhouse.client import ClickHouseStore
from storage.clickhouse.migrate import load_migrations

LOCAL_SUFFIX = "_local"
_LOCAL_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS \{database\}\.(\w+)" + LOCAL_SUFFIX + r"\b")


@cache
def sharded_tables() -> frozenset[str]:
    """Names that schemas/cluster/ creates as a replicated `<name>_local` plus a Distributed `<name>`."""
    return frozenset(match.group(1) for migration in load_migrations(cluster=True)
                     for statement in migration.statements if (match := _LOCAL_TABLE.search(statement)))


@dataclass(frozen=True)
class Target:
    database: str
    cluster: str = ""  # empty: one server, every name as in schemas/*.sql

    @classmethod
    def of(cls, store: ClickHouseStore) -> Target:
        return cls(store.database, store.cluster)

    @property
    def on_cluster(self) -> str:
        """The ` ON CLUSTER 'c'` clause of DDL the jobs run on every node (empty on one server)."""
        return f" ON CLUSTER '{self.cluster}'" if self.cluster else ""

    @property
    def parts(self) -> str:
        """Where a table's parts are listed: this server's system.parts, or one replica of every shard's."""
        return f"cluster('{self.cluster}', system.parts)" if self.cluster else "system.parts"

    def read(self, table: str) -> str:
        """The name to SELECT from or INSERT into: the Distributed table on a cluster."""
        return f"{self.database}.{table}"

    def local_name(self, table: str) -> str:
        """The unqualified name of the table that holds the parts (system.parts, system.tables filters)."""
        return table + LOCAL_SUFFIX if self.cluster and table in sharded_tables() else table

    def local(self, table: str) -> str:
        """The qualified table holding this shard's parts: for a query that runs on each shard by itself."""
        return f"{self.database}.{self.local_name(table)}"

    def mutate(self, table: str) -> str:
        """The target of ALTER ... UPDATE/DELETE, DROP/REPLACE PARTITION and MODIFY TTL."""
        if table in sharded_tables():
            return self.local(table) + self.on_cluster
        return self.read(table)

    def ddl(self, table: str) -> str:
        """A table the jobs create and drop themselves (staging): on every node of the cluster."""
        return self.read(table) + self.on_cluster
