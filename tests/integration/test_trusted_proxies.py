"""Per-client rate limits behind a real proxy hop on loopback: a tiny aiohttp reverse proxy on 127.0.0.1 appends
the client's address to X-Forwarded-For (as ingress-nginx does) or to Forwarded; clients connect from their own
loopback addresses (127.0.0.2, 127.0.0.3, ...). The per-client bucket (burst 2, next token in ~17 min) shows which
address the collector keyed on: the third request of the same client is 429, another client's first is not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ingest.app import create_app

Send = Callable[..., Awaitable[int]]
PROXY_ADDRESS = "127.0.0.1"  # the proxy's outgoing address: the collector's direct peer


def _proxy(upstream: str, header: str) -> web.Application:
    session: dict[str, aiohttp.ClientSession] = {}

    async def start(app: web.Application) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(local_addr=(PROXY_ADDRESS, 0), force_close=True)
        session["s"] = aiohttp.ClientSession(connector=connector)
        yield
        await session["s"].close()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        if header == "x-forwarded-for":  # $proxy_add_x_forwarded_for: what came in, then the peer
            came = request.headers.get("X-Forwarded-For")
            headers["X-Forwarded-For"] = f"{came}, {request.remote}" if came else str(request.remote)
        else:
            came = request.headers.get("Forwarded")
            headers["Forwarded"] = f"{came}, for={request.remote}" if came else f"for={request.remote}"
        async with session["s"].request(request.method, upstream + request.path_qs, headers=headers,
                                        data=await request.read()) as answer:
            return web.Response(status=answer.status, body=await answer.read())

    app = web.Application()
    app.cleanup_ctx.append(start)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def _statuses(send: Send, source: str, n: int, **headers: str) -> list[int]:
    return [await send(source, **headers) for _ in range(n)]


@pytest.fixture
async def build(make_settings: Any) -> AsyncIterator[Callable[..., Awaitable[tuple[Send, Send]]]]:
    servers: list[TestServer] = []

    async def make(**env: str) -> tuple[Send, Send]:
        settings = make_settings(CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS="0.001",
                                 CONSENTRY_RATE_LIMIT_PER_CLIENT_BURST="2", **env)
        collector = TestServer(create_app(settings), host="127.0.0.1")
        await collector.start_server()
        servers.append(collector)
        proxy = TestServer(_proxy(f"http://127.0.0.1:{collector.port}", settings.http.forwarded_header),
                           host="127.0.0.1")
        await proxy.start_server()
        servers.append(proxy)
        return _sender(proxy.port), _sender(collector.port)

    yield make
    for server in reversed(servers):
        await server.close()


def _sender(port: int) -> Send:
    async def send(source: str, **headers: str) -> int:
        connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(f"http://127.0.0.1:{port}/v1/events", data=b"",
                                    headers={"Content-Type": "application/json", **headers}) as answer:
                return answer.status

    return send


async def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(build: Any) -> None:
    via_proxy, _ = await build(CONSENTRY_HTTP_TRUSTED_PROXIES="127.0.0.1/32")
    assert await _statuses(via_proxy, "127.0.0.2", 3) == [400, 400, 429]  # 400: the empty body, past the limit
    assert await _statuses(via_proxy, "127.0.0.3", 2) == [400, 400]  # another client: not throttled by the first


async def test_a_forged_hop_left_of_the_proxy_changes_nothing(build: Any) -> None:
    via_proxy, _ = await build(CONSENTRY_HTTP_TRUSTED_PROXIES="127.0.0.1/32")
    assert await _statuses(via_proxy, "127.0.0.2", 2) == [400, 400]
    # The client writes other addresses; the proxy appends the real one, the rightmost untrusted hop.
    forged = [await via_proxy("127.0.0.2", **{"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(3)]
    assert forged == [429, 429, 429]


async def test_without_trusted_proxies_every_client_shares_the_proxy_bucket(build: Any) -> None:
    via_proxy, _ = await build()
    assert await _statuses(via_proxy, "127.0.0.2", 2) == [400, 400]
    assert await via_proxy("127.0.0.3") == 429  # unchanged behaviour: the proxy's address is the client


async def test_an_untrusted_peer_cannot_choose_its_address(build: Any) -> None:
    _, direct = await build(CONSENTRY_HTTP_TRUSTED_PROXIES="127.0.0.1/32")
    forged = [await direct("127.0.0.4", **{"X-Forwarded-For": f"198.51.100.{n}", "Forwarded": f"for=192.0.2.{n}"})
              for n in range(3)]
    assert forged == [400, 400, 429]  # keyed on the peer 127.0.0.4 whatever the headers say


async def test_forwarded_header_mode(build: Any) -> None:
    via_proxy, _ = await build(CONSENTRY_HTTP_TRUSTED_PROXIES="127.0.0.1", CONSENTRY_HTTP_FORWARDED_HEADER="forwarded")
    assert await _statuses(via_proxy, "127.0.0.2", 3) == [400, 400, 429]
    # X-Forwarded-For is not the header the proxy sets here: a client sending one changes nothing.
    assert await via_proxy("127.0.0.2", **{"X-Forwarded-For": "198.51.100.1"}) == 429
    assert await _statuses(via_proxy, "127.0.0.3", 2) == [400, 400]
