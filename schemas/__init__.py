"""Data package: ClickHouse DDL (*.sql) and wire-format JSON Schemas (*.json)."""
