"""The aiohttp application factory: routes, middleware, and resources opened and closed in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from ingest.admin import setup_admin
from ingest.consent.blocklist import Blocklist, blocklist_path
from ingest.consent.keys import hash_key
from ingest.consent.registry import ConsentRegistry, registry_path
from ingest.durable.service import WriterService
from ingest.durable.spool import SpoolAppender
from ingest.frontdoors.consent import setup_consent
from ingest.frontdoors.crashes import post_crash
from ingest.frontdoors.deletions import setup_deletions
from ingest.frontdoors.native_events import post_events
from ingest.frontdoors.posthog.routes import setup_posthog
from ingest.frontdoors.sentry.routes import setup_sentry
from ingest.health import healthz, metrics_endpoint, readyz
from ingest.metrics import Metrics
from ingest.middleware import forwarded_client, refusals
from ingest.ratelimit import RateLimiter
from ingest.settings import Settings
from ingest.stages.gate import GATE, BodyGate
from ingest.stages.pipeline import Intake
from ingest.state import INTAKE, METRICS, SETTINGS, WRITER_SERVICE
from ingest.stores import open_objects
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
    """Prove the object store works (write, read back, delete) before taking requests."""
    store = app[INTAKE].objects
    await asyncio.to_thread(store.check)
    yield
    store.close()


async def _spool(app: web.Application) -> AsyncIterator[None]:
    appender = app[INTAKE].spool
    appender.open()
    yield
    await appender.close()  # after the server stopped taking requests: fsync what was accepted


def _intake(settings: Settings, worker: str, metrics: Metrics, redactor: Redactor) -> Intake:
    limits, spool, key = settings.rate_limit, settings.spool, hash_key(settings)
    return Intake(
        limits=settings.limits, crash_limits=settings.crash_limits,
        client_limiter=RateLimiter("client address", limits.per_client_rps, limits.per_client_burst),
        install_limiter=RateLimiter("install id", limits.per_install_rps, limits.per_install_burst),
        blocklist=Blocklist(blocklist_path(settings), key), registry=ConsentRegistry(registry_path(settings), key),
        redactor=redactor,
        spool=SpoolAppender(settings.spool_path, worker, metrics, max_bytes=spool.max_bytes,
                            min_free_bytes=spool.min_free_disk_bytes, segment_bytes=spool.segment_bytes),
        objects=open_objects(settings), metrics=metrics)


def create_app(settings: Settings, *, worker: str = "w0", embedded_writer: bool = True,
               metrics: Metrics | None = None, redactor: Redactor | None = None) -> web.Application:
    """A collector worker. With embedded_writer, it also runs the writer (one process does everything)."""
    redactor = redactor or Redactor()
    metrics = metrics or Metrics(getattr(redactor, "rule_ids", ()))
    # We undo Content-Encoding ourselves, with a cap on the output (gzip bombs).
    proxies = forwarded_client(settings.http.trusted_proxies, settings.http.forwarded_header)
    app = web.Application(middlewares=[*proxies, refusals], handler_args={"auto_decompress": False})
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[INTAKE] = _intake(settings, worker, metrics, redactor)
    app[GATE] = BodyGate(settings.http.max_concurrent_uploads, settings.http.read_timeout_s)
    if embedded_writer:
        app.cleanup_ctx.append(_writer_service)
    app.cleanup_ctx.append(_objects)
    app.cleanup_ctx.append(_spool)
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
