-- The migration ledger: one row per applied file, with its checksum (an edited file is an error).
CREATE TABLE IF NOT EXISTS {database}.schema_migrations
(
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree ORDER BY name;
