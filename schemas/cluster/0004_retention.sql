-- Cluster form of ../0004_retention.sql. Small control tables: each lives on one shard (constant sharding key
-- 0 = the first shard), not rand(), because a lock renewal or a progress update is a newer version of the same
-- row and must reach the shard holding the older one for ReplacingMergeTree / FINAL to collapse them.
CREATE TABLE IF NOT EXISTS {database}.job_locks_local ON CLUSTER '{cluster}'
(
    job        LowCardinality(String),
    claim_id   UUID,
    holder     String,
    claimed_at DateTime64(6, 'UTC'),
    expires_at DateTime64(6, 'UTC'),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/job_locks_local', '{replica}',
                                      updated_at)
ORDER BY (job, claim_id)
TTL toDateTime(claimed_at) + INTERVAL 30 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.job_locks ON CLUSTER '{cluster}' AS {database}.job_locks_local
ENGINE = Distributed('{cluster}', {database}, job_locks_local, 0);

CREATE TABLE IF NOT EXISTS {database}.job_runs_local ON CLUSTER '{cluster}'
(
    run_id      UUID,
    job         LowCardinality(String),
    holder      String,
    started_at  DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    status      LowCardinality(String),
    rows        Map(String, UInt64),
    objects     UInt64,
    details     String,
    error       String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/job_runs_local', '{replica}')
ORDER BY (job, started_at)
TTL toDateTime(finished_at) + INTERVAL 400 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.job_runs ON CLUSTER '{cluster}' AS {database}.job_runs_local
ENGINE = Distributed('{cluster}', {database}, job_runs_local, 0);

CREATE TABLE IF NOT EXISTS {database}.retention_progress_local ON CLUSTER '{cluster}'
(
    data_class LowCardinality(String),
    partition  Date,
    max_block  UInt64,
    rows       UInt64,
    done_at    DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/retention_progress_local', '{replica}',
                                      updated_at)
ORDER BY (data_class, partition);

CREATE TABLE IF NOT EXISTS {database}.retention_progress ON CLUSTER '{cluster}' AS {database}.retention_progress_local
ENGINE = Distributed('{cluster}', {database}, retention_progress_local, 0);
