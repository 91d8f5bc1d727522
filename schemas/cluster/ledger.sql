-- The migration ledger in cluster mode. No {shard} in the Keeper path: one replica set spanning every node of
-- the cluster, so each node holds the whole ledger and `migrate --cluster` run through any node sees what was
-- applied through any other. Not Distributed: the ledger is read on the node migrate talks to.
CREATE TABLE IF NOT EXISTS {database}.schema_migrations ON CLUSTER '{cluster}'
(
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}')
ORDER BY name;
