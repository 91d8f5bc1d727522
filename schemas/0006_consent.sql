-- The consent registry: one row per recorded choice (install, scope), append-only, so it is also the audit trail.
-- It holds a keyed hash of the install id, never the id: the registry answers "did this install deny X" for
-- someone who already knows the id, and nothing else. The current choice is the latest row per (hash, scope).
CREATE TABLE IF NOT EXISTS {database}.consent_changes
(
    change_id      UUID,
    install_hash   String,
    scope          LowCardinality(String),
    state          LowCardinality(String),
    policy_version LowCardinality(String),
    changed_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (install_hash, scope, changed_at, change_id)
TTL toDateTime(changed_at) + INTERVAL 1095 DAY DELETE;
