"""Liveness, readiness (the spool has room) and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingest.state import INTAKE, METRICS


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Unready while intake would answer 503; a storage outage alone keeps us ready (the spool absorbs it)."""
    if reason := request.app[INTAKE].spool.full_reason():
        return web.json_response({"status": "unready", "reason": reason}, status=503)
    return web.json_response({"status": "ready"})


async def metrics_endpoint(request: web.Request) -> web.Response:
    payload = generate_latest(request.app[METRICS].exposition_registry())
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
