-- Cluster form of ../0003_deletions.sql.
-- The queue is sharded by install, next to that install's events and crashes.
CREATE TABLE IF NOT EXISTS {database}.deletion_queue_local ON CLUSTER '{cluster}'
(
    request_id   UUID,
    install_id   UUID,
    reason       LowCardinality(String),
    requested_at DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/deletion_queue_local', '{replica}')
ORDER BY request_id;

CREATE TABLE IF NOT EXISTS {database}.deletion_queue ON CLUSTER '{cluster}' AS {database}.deletion_queue_local
ENGINE = Distributed('{cluster}', {database}, deletion_queue_local, cityHash64(install_id));

-- The audit row is replaced as a request progresses, and it holds no install id: every version must reach the
-- same shard for FINAL to collapse them, so the small table lives on one shard (constant key 0 = the first).
CREATE TABLE IF NOT EXISTS {database}.deletion_audit_local ON CLUSTER '{cluster}'
(
    request_id        UUID,
    install_hash      String,
    reason            LowCardinality(String),
    status            LowCardinality(String),
    requested_at      DateTime64(3, 'UTC'),
    completed_at      Nullable(DateTime64(3, 'UTC')),
    rows_removed      Map(LowCardinality(String), UInt64),
    objects_removed   UInt64,
    in_flight_removed UInt64,
    version           UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/deletion_audit_local', '{replica}',
                                      version)
ORDER BY request_id
TTL toDateTime(requested_at) + INTERVAL 1095 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.deletion_audit ON CLUSTER '{cluster}' AS {database}.deletion_audit_local
ENGINE = Distributed('{cluster}', {database}, deletion_audit_local, 0);
