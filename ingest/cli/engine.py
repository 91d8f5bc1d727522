"""The commands' one way to the engine: ask the running collector (embedded chDB has one owner), else open it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from ingest.durable import control_client
from ingest.settings import ConfigError, Settings
from ingest.stores import embedded, open_clickhouse
from storage.clickhouse.client import ClickHouseStore, QueryResult
from storage.clickhouse.migrate import migrate


def ask_collector(settings: Settings, path: str, body: dict[str, Any]) -> Any | None:
    """The running collector's answer when it owns an embedded engine; None when there is no such collector."""
    return control_client.call(settings.control_socket, path, body) if embedded(settings) else None


@contextmanager
def engine(settings: Settings, *, migrated: bool = False) -> Iterator[ClickHouseStore]:
    """The engine opened by this process, closed after use; `migrated`: our tables exist even when no collector
    ever ran here (the jobs need theirs)."""
    store = open_clickhouse(settings)
    try:
        if migrated:
            migrate(store)
        yield store
    finally:
        store.close()


def run_query(settings: Settings, sql: str) -> QueryResult:
    answer = ask_collector(settings, "/query", {"sql": sql})
    if answer is not None:
        return msgspec.convert(answer, QueryResult)
    with engine(settings) as store:
        store.use_database()
        # Round-trip through JSON so both paths print identical values.
        return msgspec.json.decode(msgspec.json.encode(store.query(sql)), type=QueryResult)


def run_migrate(settings: Settings, cluster: str | None = None) -> list[str]:
    """Migrate single-node, or the cluster `cluster` (None: the clickhouse.cluster setting)."""
    cluster = settings.clickhouse.cluster if cluster is None else cluster
    if cluster and embedded(settings):
        raise ConfigError("migrate --cluster needs clickhouse.url to be a ClickHouse server (http(s)://...), "
                          "not embedded chDB")
    answer = ask_collector(settings, "/migrate", {})
    if answer is not None:
        return list(answer["applied"])
    with engine(settings) as store:
        return migrate(store, cluster)
