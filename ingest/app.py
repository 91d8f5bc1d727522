"""The aiohttp application factory: routes, middleware, and resources opened and closed in order."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ingest.control import serve_control
from ingest.frontdoors.native_events import post_events
from ingest.health import healthz, metrics, readyz
from ingest.inserter import GroupInserter
from ingest.metrics import Metrics
from ingest.middleware import refusals
from ingest.settings import Settings
from ingest.state import INSERTER, METRICS, REDACTOR, SETTINGS, STORE
from redact import Redactor
from storage.clickhouse import ClickHouseStore, open_client
from storage.executor import AsyncStore


async def _storage(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.data_path.mkdir(parents=True, exist_ok=True)
    client = open_client(settings.clickhouse.url, settings.data_path)
    store = AsyncStore(ClickHouseStore(client, settings.clickhouse.database))
    try:
        await store.migrate()
        app[STORE] = store
        yield
    finally:
        await store.close()


async def _inserter(app: web.Application) -> AsyncIterator[None]:
    insert = app[SETTINGS].insert
    inserter = GroupInserter(app[STORE], app[METRICS], max_rows=insert.max_rows, linger_s=insert.linger_ms / 1000)
    inserter.start()
    app[INSERTER] = inserter
    yield
    await inserter.close()  # after the server stopped taking requests: flush what was submitted


def _control(app: web.Application) -> AsyncIterator[None]:
    return serve_control(app[STORE], app[SETTINGS].control_socket)


def create_app(settings: Settings, redactor: Redactor | None = None) -> web.Application:
    redactor = redactor or Redactor()
    # We undo Content-Encoding ourselves, with a cap on the output (gzip bombs).
    app = web.Application(middlewares=[refusals], handler_args={"auto_decompress": False})
    app[SETTINGS] = settings
    app[REDACTOR] = redactor
    app[METRICS] = Metrics(getattr(redactor, "rule_ids", ()))
    app.cleanup_ctx.extend([_storage, _inserter, _control])
    app.router.add_post("/v1/events", post_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
