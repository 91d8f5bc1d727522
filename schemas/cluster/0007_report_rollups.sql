-- Cluster form of ../0007_report_rollups.sql, built as cluster/0005_rollups.sql is: each view reads the shard's
-- events_local (crashes_local) and writes the shard's rollup_*_local; a Distributed rollup_* table merges the
-- shards for readers. Events are sharded by install, so an install's rollup_install_weeks rows sit on its
-- events' shard; the deletion job deletes them from rollup_install_weeks_local ON CLUSTER like its events.

CREATE TABLE IF NOT EXISTS {database}.rollup_active_trailing_local ON CLUSTER '{cluster}'
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    name        LowCardinality(String),
    dau         AggregateFunction(uniqCombined, UUID),
    wau         AggregateFunction(uniqCombined, UUID),
    mau         AggregateFunction(uniqCombined, UUID),
    sessions    AggregateFunction(uniqCombined, UUID)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_active_trailing_local',
                                        '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (name, app_version, day, app)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.rollup_active_trailing ON CLUSTER '{cluster}'
AS {database}.rollup_active_trailing_local
ENGINE = Distributed('{cluster}', {database}, rollup_active_trailing_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_active_trailing_mv ON CLUSTER '{cluster}'
TO {database}.rollup_active_trailing_local AS
SELECT day + shift AS day, app, app_version, name,
       uniqCombinedMergeStateIf(installs, shift = 0) AS dau,
       uniqCombinedMergeStateIf(installs, shift < 7) AS wau,
       uniqCombinedMergeState(installs) AS mau,
       uniqCombinedMergeStateIf(day_sessions, shift = 0) AS sessions
FROM
(
    SELECT toDate(ts) AS day, app, app_version, name, uniqCombinedState(install_id) AS installs,
           uniqCombinedState(session_id) AS day_sessions
    FROM {database}.events_local
    GROUP BY GROUPING SETS ((day, app, app_version), (day, app, name), (day, app))
)
ARRAY JOIN range(30) AS shift
GROUP BY day, app, app_version, name;

CREATE TABLE IF NOT EXISTS {database}.rollup_install_weeks_local ON CLUSTER '{cluster}'
(
    install_id  UUID,
    week        Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    days        SimpleAggregateFunction(groupBitOr, UInt8),
    names       SimpleAggregateFunction(groupUniqArrayArray, Array(String))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_install_weeks_local',
                                        '{replica}')
PARTITION BY week
ORDER BY (install_id, week, app, app_version)
TTL toDateTime(week) + INTERVAL 30 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.rollup_install_weeks ON CLUSTER '{cluster}'
AS {database}.rollup_install_weeks_local
ENGINE = Distributed('{cluster}', {database}, rollup_install_weeks_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_install_weeks_mv ON CLUSTER '{cluster}'
TO {database}.rollup_install_weeks_local AS
SELECT install_id, toMonday(toDate(ts)) AS week, app, app_version,
       groupBitOr(toUInt8(bitShiftLeft(1, toDayOfWeek(toDate(ts)) - 1))) AS days,
       groupUniqArray(name) AS names
FROM {database}.events_local
WHERE install_id != toUUID('00000000-0000-0000-0000-000000000000')
GROUP BY install_id, week, app, app_version;

CREATE TABLE IF NOT EXISTS {database}.rollup_crashes_daily_local ON CLUSTER '{cluster}'
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    crashes     AggregateFunction(uniqCombined, UUID),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/rollup_crashes_daily_local',
                                        '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (day, app, app_version)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.rollup_crashes_daily ON CLUSTER '{cluster}'
AS {database}.rollup_crashes_daily_local
ENGINE = Distributed('{cluster}', {database}, rollup_crashes_daily_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_crashes_daily_mv ON CLUSTER '{cluster}'
TO {database}.rollup_crashes_daily_local AS
SELECT toDate(ts) AS day, app, app_version, uniqCombinedState(crash_id) AS crashes,
       uniqCombinedState(install_id) AS installs
FROM {database}.crashes_local
GROUP BY day, app, app_version;
