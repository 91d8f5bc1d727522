"""Turns refusals and storage failures into precise JSON errors, and counts every request."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ingest.errors import Refusal, error_body
from ingest.state import METRICS
from storage.errors import StorageError

log = logging.getLogger("consentry.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refusal_response(refusal: Refusal) -> web.Response:
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else None
    return web.Response(
        status=refusal.status, body=error_body(refusal), content_type="application/json", headers=headers
    )


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    try:
        response = await handler(request)
    except Refusal as refusal:
        response = refusal_response(refusal)
        metrics.refusals.labels(refusal.code).inc()
    except StorageError as exc:
        log.warning("storage unavailable: %s", exc)
        response = refusal_response(Refusal("storage_unavailable", "storage is unavailable; retry later"))
        metrics.refusals.labels("storage_unavailable").inc()
    except web.HTTPException as exc:
        metrics.requests.labels(route, str(exc.status)).inc()
        raise
    except Exception:
        metrics.requests.labels(route, "500").inc()
        raise
    metrics.requests.labels(route, str(response.status)).inc()
    return response
