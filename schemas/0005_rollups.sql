-- Report rollups, filled at insert time by materialized views on `events` (see ingest/reports/).
-- They hold counts and install-count sketches per day, never a row per install: uniqCombinedState is a hash
-- sketch that cannot be read back into install ids, so deletion requests need not rewrite them (README: Reports).
-- A retention class of their own (retention.rollups_delete_days, default 25 months): the TTL below is the
-- default and storage/jobs/ttl.py keeps it equal to the setting. Monthly partitions: a day is too small a part.

-- Events and distinct installs per day x app x release x os x event name.
CREATE TABLE IF NOT EXISTS {database}.rollup_events_daily
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    os          LowCardinality(String),
    name        LowCardinality(String),
    events      AggregateFunction(count),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (name, day, app, app_version, os)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_events_daily_mv TO {database}.rollup_events_daily AS
SELECT toDate(ts) AS day, app, app_version, os, name, countState() AS events,
       uniqCombinedState(install_id) AS installs
FROM {database}.events
GROUP BY day, app, app_version, os, name;

-- The same per allowlisted string prop (key, value). Which keys: the rows of rollup_breakdown_keys, kept equal
-- to reports.breakdown_props at start-up (storage/rollups.py); a key added later is rolled up from then on.
CREATE TABLE IF NOT EXISTS {database}.rollup_breakdown_keys
(
    key String
)
ENGINE = MergeTree
ORDER BY key;

INSERT INTO {database}.rollup_breakdown_keys (key) VALUES ('mode'), ('theme'), ('locale');

CREATE TABLE IF NOT EXISTS {database}.rollup_props_daily
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
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (prop_key, name, day, app, app_version, os, prop_value)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_props_daily_mv TO {database}.rollup_props_daily AS
SELECT toDate(ts) AS day, app, app_version, os, name, prop_key, props_str[prop_key] AS prop_value,
       countState() AS events, uniqCombinedState(install_id) AS installs
FROM {database}.events
ARRAY JOIN mapKeys(props_str) AS prop_key
WHERE prop_key IN (SELECT key FROM {database}.rollup_breakdown_keys)
GROUP BY day, app, app_version, os, name, prop_key, prop_value;

-- Daily active installs per app x release x os (DAU, and WAU / MAU by merging the days' sketches).
CREATE TABLE IF NOT EXISTS {database}.rollup_active_daily
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    os          LowCardinality(String),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, app, app_version, os)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_active_daily_mv TO {database}.rollup_active_daily AS
SELECT toDate(ts) AS day, app, app_version, os, uniqCombinedState(install_id) AS installs
FROM {database}.events
GROUP BY day, app, app_version, os;
