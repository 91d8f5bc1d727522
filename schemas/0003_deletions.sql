-- Deletion requests (consent withdrawn, erasure requests). The queue is the only place an install id waits for
-- deletion, and its row is removed when the deletion is done; the audit trail keeps a keyed hash of the id only.
CREATE TABLE IF NOT EXISTS {database}.deletion_queue
(
    request_id   UUID,
    install_id   UUID,
    reason       LowCardinality(String),
    requested_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY request_id;

-- One row per request, replaced as it progresses (version = milliseconds of the last change).
CREATE TABLE IF NOT EXISTS {database}.deletion_audit
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
ENGINE = ReplacingMergeTree(version)
ORDER BY request_id
TTL toDateTime(requested_at) + INTERVAL 1095 DAY DELETE;
