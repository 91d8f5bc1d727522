-- More report rollups, so that active, retention and crash-free answer without reading `events` (see
-- ingest/reports/ and README: Reports). Filled at insert time by materialized views, like 0005_rollups.sql.

-- Active installs over trailing windows, precomputed: the row of day D holds the installs active on D (dau),
-- on D-6..D (wau) and on D-29..D (mau), and the sessions seen on D (crash-free reads those with dau). Merging 30
-- daily sketches per report day at query time took seconds: here each event day's sketch is merged into the 30
-- rows it counts toward once, at insert. Per release and per event name, not per (release, name): '' stands for
-- any release or any event (neither is ever empty), so a report without filters reads one row per day. Every
-- grouping multiplies the rows each insert writes by 30, hence only these three.
CREATE TABLE IF NOT EXISTS {database}.rollup_active_trailing
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
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (name, app_version, day, app)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_active_trailing_mv TO {database}.rollup_active_trailing AS
SELECT day + shift AS day, app, app_version, name,
       uniqCombinedMergeStateIf(installs, shift = 0) AS dau,
       uniqCombinedMergeStateIf(installs, shift < 7) AS wau,
       uniqCombinedMergeState(installs) AS mau,
       uniqCombinedMergeStateIf(day_sessions, shift = 0) AS sessions
FROM
(
    SELECT toDate(ts) AS day, app, app_version, name, uniqCombinedState(install_id) AS installs,
           uniqCombinedState(session_id) AS day_sessions
    FROM {database}.events
    GROUP BY GROUPING SETS ((day, app, app_version), (day, app, name), (day, app))
)
ARRAY JOIN range(30) AS shift
GROUP BY day, app, app_version, name;

-- Per install and week: which days it was active (bit n = week + n days) and which events it sent. This is
-- per-install state, unlike every other rollup: the deletion job deletes an install's rows here too
-- (storage/jobs/deletions.py DATA_TABLES), the data-subject export includes them, and the rows live no longer
-- than identifiable events do (the TTL follows retention.events_deidentify_days; storage/jobs/ttl.py).
-- Retention reads it: first-seen week (cohort) and active weeks per install in one pass, no join.
CREATE TABLE IF NOT EXISTS {database}.rollup_install_weeks
(
    install_id  UUID,
    week        Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    days        SimpleAggregateFunction(groupBitOr, UInt8),
    names       SimpleAggregateFunction(groupUniqArrayArray, Array(String))
)
ENGINE = AggregatingMergeTree
PARTITION BY week
ORDER BY (install_id, week, app, app_version)
TTL toDateTime(week) + INTERVAL 30 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_install_weeks_mv TO {database}.rollup_install_weeks AS
SELECT install_id, toMonday(toDate(ts)) AS week, app, app_version,
       groupBitOr(toUInt8(bitShiftLeft(1, toDayOfWeek(toDate(ts)) - 1))) AS days,
       groupUniqArray(name) AS names
FROM {database}.events
WHERE install_id != toUUID('00000000-0000-0000-0000-000000000000')
GROUP BY install_id, week, app, app_version;

-- Crash-free per release: sessions and installs come from rollup_active_trailing (above), crashes from here.
-- Crashes carry no session id, so a crash counts as one crashed session here (README: Reports, crash-free).
-- Distinct crash ids, not a count: a retried upload reaches the view twice before ReplacingMergeTree merges.
CREATE TABLE IF NOT EXISTS {database}.rollup_crashes_daily
(
    day         Date,
    app         LowCardinality(String),
    app_version LowCardinality(String),
    crashes     AggregateFunction(uniqCombined, UUID),
    installs    AggregateFunction(uniqCombined, UUID)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, app, app_version)
TTL toDateTime(day) + INTERVAL 761 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_crashes_daily_mv TO {database}.rollup_crashes_daily AS
SELECT toDate(ts) AS day, app, app_version, uniqCombinedState(crash_id) AS crashes,
       uniqCombinedState(install_id) AS installs
FROM {database}.crashes
GROUP BY day, app, app_version;
