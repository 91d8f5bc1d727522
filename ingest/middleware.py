"""Turns refusals and storage failures into precise JSON errors, counts every request, and behind trusted
proxies finds the client address."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from ingest.errors import Refusal, error_body
from ingest.state import METRICS
from storage.errors import StorageError

log = logging.getLogger("consentry.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ABORTED = "aborted"  # the `status` label of a request whose client disconnected before it was answered


def refusal_response(refusal: Refusal) -> web.Response:
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else None
    return web.Response(
        status=refusal.status, body=error_body(refusal), content_type="application/json", headers=headers
    )


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    started = time.perf_counter()
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
    except asyncio.CancelledError:  # with handler_cancellation on, a disconnect cancels the handler instead
        metrics.requests.labels(route, ABORTED).inc()
        raise
    except (ConnectionResetError, web.RequestPayloadError):
        if request.transport is not None and not request.transport.is_closing():
            # The client is still there: its body broke the transfer coding (a bad chunk size, ...).
            response = refusal_response(Refusal("malformed_body", "the body's transfer encoding is broken"))
            metrics.refusals.labels("malformed_body").inc()
        else:
            # The client went away mid-request: its own outcome, not a server error; nothing logged (an upload
            # aborted by the thousand must not write a traceback each), and the answer goes nowhere.
            metrics.requests.labels(route, ABORTED).inc()
            return web.Response(status=499)
    except Exception:
        metrics.requests.labels(route, "500").inc()
        raise
    metrics.requests.labels(route, str(response.status)).inc()
    metrics.request_seconds.labels(route).observe(time.perf_counter() - started)
    return response


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(value: str) -> IPAddress | None:
    """An address from a forwarding header hop: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `"[::1]"`, or a
    peer's `::ffff:10.0.0.1`; None for `unknown`, an obfuscated RFC 7239 identifier or anything malformed."""
    text = value.strip().strip('"')
    if text.startswith("["):
        text = text[1:text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _hops(request: web.Request, header: str) -> list[str]:
    """Every hop the header names, leftmost (farthest from us) first, over all its header lines."""
    if header == "forwarded":
        return [entry.get("for", "") for entry in request.forwarded]
    return [hop for line in request.headers.getall("X-Forwarded-For", ()) for hop in line.split(",")]


def client_address(request: web.Request, trusted: Sequence[Network], header: str) -> str | None:
    """The client: the direct peer, unless the peer is a trusted proxy; then the rightmost hop of `header` that is
    not a trusted proxy (hops left of it were written by the client and prove nothing). A malformed hop ends the
    walk at the last trusted address seen, so a forged value never becomes a key."""
    peer = _address(request.remote or "")
    if peer is None or not any(peer in net for net in trusted):
        return request.remote
    client = peer
    for hop in reversed(_hops(request, header)):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not any(address in net for net in trusted):
            break
    return str(client)


def forwarded_client(trusted_proxies: Sequence[str], header: str) -> list[Callable[..., Awaitable[web.StreamResponse]]]:
    """A middleware (or none: no trusted proxies means the peer is the client, at no cost) that makes
    `request.remote` the client address behind the proxies. It is never stored or logged, only rate-limited on."""
    if not trusted_proxies:
        return []
    trusted = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        client = client_address(request, trusted, header)
        if client is None or client == request.remote:
            return await handler(request)
        return await handler(request.clone(remote=client))

    return [forwarded]
