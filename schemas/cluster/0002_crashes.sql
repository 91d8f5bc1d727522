-- Cluster form of ../0002_crashes.sql; sharded by install like events (a retried upload carries the same
-- install id, so it lands on the shard holding the first copy and collapses there).
CREATE TABLE IF NOT EXISTS {database}.crashes_local ON CLUSTER '{cluster}'
(
    crash_id            UUID,
    install_id          UUID,
    ts                  DateTime64(3, 'UTC'),
    received_at         DateTime64(3, 'UTC'),
    source              LowCardinality(String),
    app                 LowCardinality(String),
    app_version         LowCardinality(String),
    os                  LowCardinality(String),
    os_version          LowCardinality(String),
    device_type         LowCardinality(String),
    policy_version      LowCardinality(String),
    fingerprint         String,
    exception_type      String,
    exception_message   String,
    frames              Array(Tuple(module String, function String, file String, line UInt32, in_app Bool)),
    breadcrumbs         Array(String),
    extra               Map(LowCardinality(String), String),
    minidump_key        String,
    minidump_size       UInt64,
    minidump_sha256     String,
    minidump_parsed     Bool,
    minidump_error      LowCardinality(String),
    dump_exception_code Nullable(UInt32),
    dump_exception_name LowCardinality(String),
    dump_os             LowCardinality(String),
    dump_cpu_arch       LowCardinality(String),
    dump_modules        Array(String),
    attachment_keys     Array(String),
    attachment_sizes    Array(UInt64),
    redactions          Map(LowCardinality(String), UInt32),
    INDEX idx_install_id install_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/crashes_local', '{replica}')
PARTITION BY toDate(ts)
ORDER BY (app, fingerprint, crash_id)
TTL toDateTime(ts) + INTERVAL 180 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.crashes ON CLUSTER '{cluster}' AS {database}.crashes_local
ENGINE = Distributed('{cluster}', {database}, crashes_local, cityHash64(install_id));
