"""Storage adapters for Consentry: ClickHouse (embedded chDB or a server) and migrations."""
