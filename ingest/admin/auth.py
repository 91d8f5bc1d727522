"""The admin bearer token: checked in constant time; a refusal is counted like every other."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from ingest.errors import Refusal
from ingest.middleware import refusal_response
from ingest.state import METRICS, SETTINGS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _presented(request: web.Request) -> bytes:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # bytes: compare_digest refuses non-ASCII str, and a header may carry anything
    return token.strip().encode("utf-8", "backslashreplace") if scheme.lower() == "bearer" else b""


def require_token(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        expected = request.app[SETTINGS].admin.token.encode()
        presented = _presented(request)
        if expected and presented and hmac.compare_digest(presented, expected):
            return await handler(request)
        refusal = Refusal("unauthorized", "a valid admin bearer token is required (Authorization: Bearer ...)")
        # Answered here rather than raised: a 401 must name the scheme in WWW-Authenticate (RFC 9110).
        request.app[METRICS].refusals.labels(refusal.code).inc()
        response = refusal_response(refusal)
        response.headers["WWW-Authenticate"] = 'Bearer realm="consentry-admin"'
        return response

    return checked
