"""Apply schemas/*.sql in order, once each, recording what was applied (idempotent)."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import msgspec

from storage.clickhouse import ClickHouseStore
from storage.errors import MigrationError

_LEDGER = """
CREATE TABLE IF NOT EXISTS {database}.schema_migrations
(
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree ORDER BY name
"""
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")


class Migration(msgspec.Struct, frozen=True):
    name: str
    checksum: str
    statements: list[str]


def load_migrations() -> list[Migration]:
    """The DDL files shipped in the `schemas` package, in name order."""
    migrations = []
    files = sorted((f for f in resources.files("schemas").iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    for file in files:
        text = file.read_text(encoding="utf-8")
        statements = [s.strip() for s in _STATEMENT_END.split(text) if _has_sql(s)]
        migrations.append(Migration(file.name, hashlib.sha256(text.encode()).hexdigest(), statements))
    return migrations


def _has_sql(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())


def _applied(store: ClickHouseStore) -> dict[str, str]:
    result = store.query(f"SELECT name, checksum FROM {store.database}.schema_migrations", read_only=False)
    return {name: checksum for name, checksum in result.rows}


def migrate(store: ClickHouseStore) -> list[str]:
    """Create the database and apply pending migrations; return the names applied now (empty if none)."""
    database = store.database
    store.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    store.command(_LEDGER.replace("{database}", database))
    applied = _applied(store)
    done: list[str] = []
    for migration in load_migrations():
        if migration.name in applied:
            if applied[migration.name] != migration.checksum:
                raise MigrationError(f"{migration.name} changed after it was applied; add a new migration instead")
            continue
        for statement in migration.statements:
            store.command(statement.replace("{database}", database))
        store.command(
            f"INSERT INTO {database}.schema_migrations (name, checksum) "
            f"VALUES ('{migration.name}', '{migration.checksum}')"
        )
        done.append(migration.name)
    store.use_database()
    return done
