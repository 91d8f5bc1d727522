"""Storage for Consentry, never importing ingest: the ClickHouse adapter, its migrations and async executor
(clickhouse/), the object-store adapters (objects/), row types and the operations on our own tables (rows, consent,
rollups, trailing, export), keyed install hashes (privacy), and the retention jobs (jobs/)."""
