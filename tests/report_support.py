"""Report test helpers: seed events and crashes at chosen days, run a report as the CLI and the API do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ingest.cli.engine import run_query
from ingest.reports.base import Report, assemble
from ingest.reports.registry import prepare
from ingest.settings import Settings
from storage.clickhouse.client import ClickHouseStore, open_client
from storage.trailing import refresh_trailing

TODAY = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


def installs(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def insert(store: ClickHouseStore, install: str, name: str, days_ago: int = 0, version: str = "1.0",
           props: dict[str, str] | None = None, session: str | None = None, minutes: int = 0) -> None:
    ts = (TODAY - timedelta(days=days_ago, minutes=-minutes)).strftime("%Y-%m-%d %H:%M:%S")
    props_sql = "map(" + ", ".join(f"'{k}', '{v}'" for k, v in (props or {}).items()) + ")"
    store.command(f"INSERT INTO {store.database}.events (event_id, install_id, session_id, name, ts, app, "
                  f"app_version, os, props_str) VALUES (generateUUIDv4(), '{install}', "
                  f"'{session or uuid.uuid4()}', '{name}', '{ts}', 'app', '{version}', 'linux', {props_sql})")


def crash(store: ClickHouseStore, install: str, version: str = "1.0", minutes: int = 1) -> None:
    ts = (TODAY + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
    store.command(f"INSERT INTO {store.database}.crashes (crash_id, install_id, ts, app, app_version, fingerprint) "
                  f"VALUES (generateUUIDv4(), '{install}', '{ts}', 'app', '{version}', 'f')")


def refresh_trailing_rollup(settings: Settings) -> None:
    """What the writer does after inserts and at every read barrier (ingest/durable/trailing.py): these tests
    insert straight into storage, past the writer."""
    store = ClickHouseStore(open_client(settings.clickhouse.url, settings.data_path), settings.clickhouse.database)
    refresh_trailing(store, TODAY.date() - timedelta(days=90), TODAY.date() + timedelta(days=1))


def report(settings: Settings, name: str, **raw: str) -> Report:
    refresh_trailing_rollup(settings)
    spec, params = prepare(name, raw, settings.reports.breakdown_props)
    return assemble(spec, params, run_query(settings, spec.build(params, settings.clickhouse.database)),
                    settings.reports.min_installs)
