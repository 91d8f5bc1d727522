-- Cluster form of ../0001_events.sql: same columns, key, partitioning and TTL on a replicated local table, and a
-- Distributed table with the single-node name so readers and writers need no change. Sharded by install: one
-- install's rows live on one shard, so ReplacingMergeTree dedup (FINAL) and per-install deletion stay shard-local.
CREATE TABLE IF NOT EXISTS {database}.events_local ON CLUSTER '{cluster}'
(
    event_id       UUID,
    install_id     UUID,
    session_id     UUID,
    name           LowCardinality(String),
    ts             DateTime64(3, 'UTC'),
    received_at    DateTime64(3, 'UTC'),
    app            LowCardinality(String),
    app_version    LowCardinality(String),
    os             LowCardinality(String),
    os_version     LowCardinality(String),
    device_type    LowCardinality(String),
    policy_version LowCardinality(String),
    props_str      Map(LowCardinality(String), String),
    props_num      Map(LowCardinality(String), Float64),
    props_bool     Map(LowCardinality(String), Bool),
    redactions     Map(LowCardinality(String), UInt32),
    INDEX idx_install_id install_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}')
PARTITION BY toDate(ts)
ORDER BY (app, name, toStartOfHour(ts), event_id)
TTL toDateTime(ts) + INTERVAL 180 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.events ON CLUSTER '{cluster}' AS {database}.events_local
ENGINE = Distributed('{cluster}', {database}, events_local, cityHash64(install_id));
