"""Apply schemas/*.sql (or schemas/cluster/*.sql ON CLUSTER) in order, once each, recording what was applied."""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import resources
from importlib.abc import Traversable

import msgspec

from storage.clickhouse.client import ClickHouseStore
from storage.errors import MigrationError

log = logging.getLogger("consentry.migrate")
CLUSTER_FOLDER = "cluster"
LEDGER_FILE = "ledger.sql"  # creates schema_migrations; not itself a migration
# Quoted into ON CLUSTER '...' and Distributed('...'): no quote or brace can get through.
CLUSTER_PATTERN = r"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"  # also the clickhouse.cluster setting's; empty = none
CLUSTER_NAME = re.compile(CLUSTER_PATTERN)
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")


class Migration(msgspec.Struct, frozen=True):
    name: str
    checksum: str
    statements: list[str]


def _folder(cluster: bool) -> Traversable:
    root = resources.files("schemas")
    return root / CLUSTER_FOLDER if cluster else root


def _load(file: Traversable, name: str) -> Migration:
    text = file.read_text(encoding="utf-8")
    statements = [s.strip() for s in _STATEMENT_END.split(text) if _has_sql(s)]
    return Migration(name, hashlib.sha256(text.encode()).hexdigest(), statements)


def load_migrations(cluster: bool = False) -> list[Migration]:
    """The numbered DDL files shipped in `schemas` (or `schemas/cluster`), in name order. Cluster migrations
    are named `cluster/<file>` in the ledger, so a database is never half single-node, half cluster."""
    prefix = f"{CLUSTER_FOLDER}/" if cluster else ""
    files = sorted((f for f in _folder(cluster).iterdir() if f.name.endswith(".sql") and f.name[0].isdigit()),
                   key=lambda f: f.name)
    return [_load(file, prefix + file.name) for file in files]


def load_ledger(cluster: bool = False) -> Migration:
    return _load(_folder(cluster) / LEDGER_FILE, LEDGER_FILE)


def render(statement: str, database: str, cluster: str = "") -> str:
    """Fill the {database} and {cluster} placeholders; {shard} and {replica} stay for the server's macros."""
    return statement.replace("{database}", database).replace("{cluster}", cluster)


def _has_sql(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())


def _applied(store: ClickHouseStore) -> dict[str, str]:
    result = store.query(f"SELECT name, checksum FROM {store.database}.schema_migrations", read_only=False)
    return {name: checksum for name, checksum in result.rows}


def _check_mode(applied: dict[str, str], cluster: str) -> bool:
    """False when the database belongs to the other mode's migrations (then nothing is applied)."""
    clustered = any(name.startswith(f"{CLUSTER_FOLDER}/") for name in applied)
    single = any(not name.startswith(f"{CLUSTER_FOLDER}/") for name in applied)
    if cluster and single:
        raise MigrationError("this database was migrated single-node; a cluster needs a new database")
    if not cluster and clustered:
        # `serve` migrates at start-up; against a cluster the schema is `migrate --cluster`'s job.
        log.info("schema managed by `consentry migrate --cluster`; nothing applied")
        return False
    return True


def migrate(store: ClickHouseStore, cluster: str | None = None) -> list[str]:
    """Create the database and apply pending migrations (cluster: schemas/cluster ON CLUSTER `cluster`; None =
    the store's, i.e. the clickhouse.cluster setting); return the names applied now (empty if none)."""
    cluster = store.cluster if cluster is None else cluster
    if not CLUSTER_NAME.match(cluster):
        raise MigrationError(f"{cluster!r} is not a cluster name (letters, digits, _ . -)")
    database = store.database
    on_cluster = f" ON CLUSTER '{cluster}'" if cluster else ""
    store.command(f"CREATE DATABASE IF NOT EXISTS {database}{on_cluster}")
    for statement in load_ledger(bool(cluster)).statements:
        store.command(render(statement, database, cluster))
    applied = _applied(store)
    done: list[str] = []
    for migration in load_migrations(bool(cluster)) if _check_mode(applied, cluster) else []:
        if migration.name in applied:
            if applied[migration.name] != migration.checksum:
                raise MigrationError(f"{migration.name} changed after it was applied; add a new migration instead")
            continue
        for statement in migration.statements:
            store.command(render(statement, database, cluster))
        store.command(
            f"INSERT INTO {database}.schema_migrations (name, checksum) "
            f"VALUES ('{migration.name}', '{migration.checksum}')"
        )
        done.append(migration.name)
    store.use_database()
    return done
