-- Cluster form of ../0006_consent.sql. Every writer reads the whole registry to publish its deny list, and the
-- rows hold no install id to shard by: like the deletion audit, the small table lives on one shard (key 0).
CREATE TABLE IF NOT EXISTS {database}.consent_changes_local ON CLUSTER '{cluster}'
(
    change_id      UUID,
    install_hash   String,
    scope          LowCardinality(String),
    state          LowCardinality(String),
    policy_version LowCardinality(String),
    changed_at     DateTime64(3, 'UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/consent_changes_local', '{replica}')
ORDER BY (install_hash, scope, changed_at, change_id)
TTL toDateTime(changed_at) + INTERVAL 1095 DAY DELETE;

CREATE TABLE IF NOT EXISTS {database}.consent_changes ON CLUSTER '{cluster}' AS {database}.consent_changes_local
ENGINE = Distributed('{cluster}', {database}, consent_changes_local, 0);
