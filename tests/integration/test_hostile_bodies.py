"""Hostile bodies (issue 18) against the real app on a loopback server: each shape in tests/hostile.py answers
its expected refusal within a second, never a 500."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import hostile
import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ingest.app import create_app
from ingest.state import METRICS


@pytest.fixture
async def served(make_settings: Any) -> AsyncIterator[TestClient]:
    settings = make_settings(CONSENTRY_INGEST_KEYS=hostile.ingest_keys(), CONSENTRY_ADMIN_TOKEN=hostile.ADMIN_TOKEN)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client


async def _send(client: TestClient, shape: hostile.Shape) -> None:
    started = time.thread_time()  # CPU time of this thread: a bound on the work done, not on how busy the machine is
    response = await client.request(shape.method, shape.path, data=shape.body or None, headers=shape.headers)
    answer = await response.read()
    took = time.thread_time() - started
    assert response.status in shape.statuses, (shape.name, response.status, answer[:300])
    if shape.code is not None:
        assert (await response.json())["error"]["code"] == shape.code, shape.name
    assert took < 1.0, (shape.name, took)


@pytest.mark.parametrize("shape", hostile.nesting(), ids=lambda shape: shape.name)
async def test_deep_nesting_is_a_malformed_body(served: TestClient, shape: hostile.Shape) -> None:
    await _send(served, shape)


async def test_nesting_within_the_limit_is_read(served: TestClient) -> None:
    """64 levels under a prop of a PostHog event: parsed (the prop is then dropped as not a scalar), not refused."""
    body = (b'{"api_key":"' + hostile.SDK_KEY.encode() + b'","batch":[{"event":"x","distinct_id":"d","properties":'
            + hostile.deep_json(60) + b"}]}")
    response = await served.post("/batch/", data=body, headers=hostile.JSON)
    assert response.status == 200


@pytest.mark.parametrize("shape", hostile.numbers(), ids=lambda shape: shape.name)
async def test_numbers_a_float_cannot_hold_are_refused(served: TestClient, shape: hostile.Shape) -> None:
    await _send(served, shape)


@pytest.mark.parametrize("shape", hostile.calendar_edges(), ids=lambda shape: shape.name)
async def test_admin_times_past_the_calendar_are_a_malformed_parameter(served: TestClient,
                                                                       shape: hostile.Shape) -> None:
    await _send(served, shape)


async def test_crash_extra_numbers_are_checked_too(served: TestClient) -> None:
    report = hostile.crash_report() | {"extra": {"count": hostile.BIG_INT}}
    body = hostile.form(("report", msgspec.json.encode(report), "r.json"))
    response = await served.post("/v1/crashes", data=body, headers=hostile.FORM)
    assert response.status == 422 and (await response.json())["error"]["code"] == "invalid_field"


async def test_numbers_in_range_are_stored(served: TestClient) -> None:
    batch = hostile.event_batch({"big": (1 << 64) - 1, "small": -(1 << 63), "ratio": 1e308})
    response = await served.post("/v1/events", data=msgspec.msgpack.encode(batch), headers=hostile.MSGPACK)
    assert response.status == 202, await response.text()


@pytest.mark.parametrize("shape", hostile.multipart_bombs(), ids=lambda shape: shape.name)
async def test_multipart_bombs_are_refused_while_reading(served: TestClient, shape: hostile.Shape) -> None:
    await _send(served, shape)


@pytest.fixture
async def runner(make_settings: Any) -> AsyncIterator[tuple[web.Application, int]]:
    """The app as `consentry serve` runs it (AppRunner, no handler cancellation: a disconnect reaches the
    handler as an error while it reads, not as a cancellation), with a 0.5 s read timeout and 2 body slots."""
    settings = make_settings(CONSENTRY_HTTP_READ_TIMEOUT_S="0.5", CONSENTRY_HTTP_MAX_CONCURRENT_UPLOADS="2")
    app = create_app(settings)
    app_runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.http.read_timeout_s)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield app, app_runner.addresses[0][1]
    finally:
        await app_runner.cleanup()


def _requests(app: web.Application, status: str) -> float:
    value = app[METRICS].registry.get_sample_value("consentry_requests_total",
                                                   {"route": "/v1/crashes", "status": status})
    return value or 0.0


async def test_a_client_gone_mid_body_is_its_own_outcome(runner: tuple[web.Application, int],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Uploads cut off after 1 KiB of a declared 1 MiB: counted as status="aborted", no 500, nothing logged."""
    caplog.set_level(logging.DEBUG)
    app, port = runner
    for _ in range(20):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /v1/crashes HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n"
                     + f"Content-Type: {hostile.FORM['Content-Type']}\r\n\r\n".encode() + b"x" * 1024)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await writer.wait_closed()
    for _ in range(100):
        if _requests(app, "aborted") >= 20:
            break
        await asyncio.sleep(0.05)
    assert _requests(app, "aborted") == 20
    assert _requests(app, "500") == 0
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def _partial_upload(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{")
    await writer.drain()
    return reader, writer


async def test_a_trickled_body_is_cut_at_the_read_timeout(runner: tuple[web.Application, int]) -> None:
    app, port = runner
    reader, writer = await _partial_upload(port)
    started = time.perf_counter()

    async def trickle() -> None:  # one byte every 0.1 s: never idle, but never done
        with contextlib.suppress(ConnectionError):
            for _ in range(20):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.1)

    trickling = asyncio.create_task(trickle())
    answer = await asyncio.wait_for(reader.read(4096), 2)
    trickling.cancel()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer
    assert time.perf_counter() - started < 1.5
    writer.close()


async def test_uploads_past_the_cap_are_refused_at_once(runner: tuple[web.Application, int]) -> None:
    app, port = runner
    held = [await _partial_upload(port) for _ in range(2)]
    await asyncio.sleep(0.1)
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        response = await session.post(f"http://127.0.0.1:{port}/v1/events", json=hostile.event_batch())
        assert response.status == 503 and (await response.json())["error"]["code"] == "uploads_busy"
        assert response.headers["Retry-After"] == "5"
        assert time.perf_counter() - started < 0.5
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.7)  # the slots are free again once the held reads end (here: their deadline)
        response = await session.post(f"http://127.0.0.1:{port}/v1/events", json=hostile.event_batch())
        assert response.status == 202, await response.text()


async def test_headers_never_finished_are_dropped_at_the_read_timeout(runner: tuple[web.Application, int]) -> None:
    app, port = runner
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()
    started = time.perf_counter()
    assert await asyncio.wait_for(reader.read(), 3) == b""  # closed without an answer
    assert time.perf_counter() - started < 1.5
    writer.close()
