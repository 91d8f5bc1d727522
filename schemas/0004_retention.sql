-- Retention and jobs bookkeeping (storage/jobs/). Small tables: one row per claim, run, or finished day.

-- Job locks: claim, settle, read back; the earliest unexpired claim wins (see storage/jobs/lock.py).
-- A renewal or release is a newer version of the same claim row.
CREATE TABLE IF NOT EXISTS {database}.job_locks
(
    job        LowCardinality(String),
    claim_id   UUID,
    holder     String,
    claimed_at DateTime64(6, 'UTC'),
    expires_at DateTime64(6, 'UTC'),
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (job, claim_id)
TTL toDateTime(claimed_at) + INTERVAL 30 DAY DELETE;

-- One row per finished run (ok or failed): `consentry jobs status` and the last-success metric read it.
CREATE TABLE IF NOT EXISTS {database}.job_runs
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
ENGINE = MergeTree
ORDER BY (job, started_at)
TTL toDateTime(finished_at) + INTERVAL 400 DAY DELETE;

-- Day partitions a retention job has finished (data_class: events, crashes, objects). max_block is the
-- partition's max_block_number after the rewrite: a later insert into that day raises it, and the day is redone.
CREATE TABLE IF NOT EXISTS {database}.retention_progress
(
    data_class LowCardinality(String),
    partition  Date,
    max_block  UInt64,
    rows       UInt64,
    done_at    DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (data_class, partition);
