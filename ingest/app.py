"""The aiohttp application factory: routes, middleware, and resources opened and closed in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from ingest.admin import setup_admin
from ingest.consent_registry import ConsentRegistry, registry_path
from ingest.durable.service import WriterService
from ingest.durable.spool import SpoolAppender
from ingest.frontdoors.consent import setup_consent
from ingest.frontdoors.crashes import post_crash
from ingest.frontdoors.deletions import setup_deletions
from ingest.frontdoors.native_events import post_events
from ingest.frontdoors.posthog import setup_posthog
from ingest.frontdoors.sentry import setup_sentry
from ingest.health import healthz, metrics_endpoint, readyz
from ingest.metrics import Metrics
from ingest.middleware import forwarded_client, refusals
from ingest.objects import open_objects
from ingest.privacy import Blocklist, blocklist_path, hash_key
from ingest.ratelimit import RateLimiter
from ingest.settings import Settings
from ingest.state import (
    BLOCKLIST,
    CLIENT_LIMITER,
    CONSENT_REGISTRY,
    INSTALL_LIMITER,
    METRICS,
    OBJECTS,
    REDACTOR,
    SETTINGS,
    SPOOL,
    WRITER_SERVICE,
)
from redact import Redactor


async def _writer_service(app: web.Application) -> AsyncIterator[None]:
    """Single-process mode: this process also owns storage and drains the spool."""
    service = WriterService(app[SETTINGS], app[METRICS])
    try:
        await service.start()
        app[WRITER_SERVICE] = service
        yield
    finally:
        await service.stop()


async def _objects(app: web.Application) -> AsyncIterator[None]:
    """Open the object store and prove it works (write, read back, delete) before taking requests."""
    store = open_objects(app[SETTINGS])
    await asyncio.to_thread(store.check)
    app[OBJECTS] = store
    yield
    store.close()


def _spool(worker: str) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        spool = settings.spool
        appender = SpoolAppender(settings.spool_path, worker, app[METRICS], max_bytes=spool.max_bytes,
                                 min_free_bytes=spool.min_free_disk_bytes, segment_bytes=spool.segment_bytes)
        appender.open()
        app[SPOOL] = appender
        yield
        await appender.close()  # after the server stopped taking requests: fsync what was accepted

    return context


def create_app(settings: Settings, *, worker: str = "w0", embedded_writer: bool = True,
               metrics: Metrics | None = None, redactor: Redactor | None = None) -> web.Application:
    """A collector worker. With embedded_writer, it also runs the writer (one process does everything)."""
    redactor = redactor or Redactor()
    # We undo Content-Encoding ourselves, with a cap on the output (gzip bombs).
    proxies = forwarded_client(settings.http.trusted_proxies, settings.http.forwarded_header)
    app = web.Application(middlewares=[*proxies, refusals], handler_args={"auto_decompress": False})
    app[SETTINGS] = settings
    app[REDACTOR] = redactor
    app[METRICS] = metrics or Metrics(getattr(redactor, "rule_ids", ()))
    limits = settings.rate_limit
    app[CLIENT_LIMITER] = RateLimiter("client address", limits.per_client_rps, limits.per_client_burst)
    app[INSTALL_LIMITER] = RateLimiter("install id", limits.per_install_rps, limits.per_install_burst)
    key = hash_key(settings)
    app[BLOCKLIST] = Blocklist(blocklist_path(settings), key)
    app[CONSENT_REGISTRY] = ConsentRegistry(registry_path(settings), key)
    if embedded_writer:
        app.cleanup_ctx.append(_writer_service)
    app.cleanup_ctx.append(_objects)
    app.cleanup_ctx.append(_spool(worker))
    app.router.add_post("/v1/events", post_events)
    app.router.add_post("/v1/crashes", post_crash)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    setup_deletions(app)
    setup_consent(app)
    setup_sentry(app)
    setup_posthog(app)
    setup_admin(app)
    return app
