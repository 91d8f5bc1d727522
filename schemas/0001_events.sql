-- Usage events: one row per accepted event.
-- ReplacingMergeTree keyed on event_id makes a retried batch collapse to one row; readers that must not
-- see the brief pre-merge duplicates use FINAL (`consentry query` sets final=1 for every table).
-- toStartOfHour(ts) in the key, not ts: de-identification coarsens ts to the hour without moving the row.
CREATE TABLE IF NOT EXISTS {database}.events
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
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (app, name, toStartOfHour(ts), event_id)
TTL toDateTime(ts) + INTERVAL 180 DAY DELETE;
