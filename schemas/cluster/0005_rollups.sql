-- Cluster form of ../0005_rollups.sql. Materialized views fire on inserts into a table, and a Distributed
-- insert lands in events_local on one shard: so each view reads events_local and writes the shard's own
-- rollup_*_local. A Distributed rollup_* table merges the shards' sketches for readers (uniqCombined states
-- merge across shards exactly as across parts). Sharding key rand(): rows only arrive through the views.

CREATE TABLE IF NOT EXISTS {database}.rollup_events_daily_local ON CLUSTER '{cluster}'
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    os          LowCardinality(String),
    name        LowCardinality(String),
    events      AggregateFunction(count),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_events_daily_local',
                                        '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (name, day, app, app_version, os)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.rollup_events_daily ON CLUSTER '{cluster}'
AS {database}.rollup_events_daily_local
ENGINE = Distributed('{cluster}', {database}, rollup_events_daily_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_events_daily_mv ON CLUSTER '{cluster}'
TO {database}.rollup_events_daily_local AS
SELECT toDate(ts) AS day, app, app_version, os, name, countState() AS events,
       uniqCombinedState(install_id) AS installs
FROM {database}.events_local
GROUP BY day, app, app_version, os, name;

-- Read by the props view on every node: no {shard} in the Keeper path, so every node of the cluster holds all
-- the keys (one replica set spanning the cluster), and the default keys are inserted once for all of them.
CREATE TABLE IF NOT EXISTS {database}.rollup_breakdown_keys ON CLUSTER '{cluster}'
(
    key String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/rollup_breakdown_keys', '{replica}')
ORDER BY key;

INSERT INTO {database}.rollup_breakdown_keys (key) VALUES ('mode'), ('theme'), ('locale');

CREATE TABLE IF NOT EXISTS {database}.rollup_props_daily_local ON CLUSTER '{cluster}'
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    os          LowCardinality(String),
    name        LowCardinality(String),
    prop_key    LowCardinality(String),
    prop_value  String,
    events      AggregateFunction(count),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_props_daily_local',
                                        '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (prop_key, name, day, app, app_version, os, prop_value)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.rollup_props_daily ON CLUSTER '{cluster}'
AS {database}.rollup_props_daily_local
ENGINE = Distributed('{cluster}', {database}, rollup_props_daily_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_props_daily_mv ON CLUSTER '{cluster}'
TO {database}.rollup_props_daily_local AS
SELECT toDate(ts) AS day, app, app_version, os, name, prop_key, props_str[prop_key] AS prop_value,
       countState() AS events, uniqCombinedState(install_id) AS installs
FROM {database}.events_local
ARRAY JOIN mapKeys(props_str) AS prop_key
WHERE prop_key IN (SELECT key FROM {database}.rollup_breakdown_keys)
GROUP BY day, app, app_version, os, name, prop_key, prop_value;

CREATE TABLE IF NOT EXISTS {database}.rollup_active_daily_local ON CLUSTER '{cluster}'
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    os          LowCardinality(String),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_active_daily_local',
                                        '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (day, app, app_version, os)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.rollup_active_daily ON CLUSTER '{cluster}'
AS {database}.rollup_active_daily_local
ENGINE = Distributed('{cluster}', {database}, rollup_active_daily_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_active_daily_mv ON CLUSTER '{cluster}'
TO {database}.rollup_active_daily_local AS
SELECT toDate(ts) AS day, app, app_version, os, uniqCombinedState(install_id) AS installs
FROM {database}.events_local
GROUP BY day, app, app_version, os;
