"""Fuzz the HTTP API on a real loopback server: any body, header or encoding gets a 2xx or a 4xx (never a 5xx
or a hang), and only acknowledged events are ever stored."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import make_batch

from ingest.app import create_app
from ingest.settings import load_settings
from ingest.state import SETTINGS, WRITER_SERVICE
from storage.clickhouse.client import ClickHouseStore, open_client

ALLOWED = {202, 400, 403, 413, 415, 422, 429}


class Server:
    def __init__(self, port: int, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.port, self.app, self.loop = port, app, loop
        self.acked: set[str] = set()
        self.sent: set[str] = set()

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("POST", "/v1/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def flush(self) -> None:
        writer = self.app[WRITER_SERVICE].writer
        asyncio.run_coroutine_threadsafe(writer.flush(), self.loop).result(timeout=60)


@pytest.fixture(scope="module")
def server(chdb_path: Path) -> Iterator[Server]:
    from aiohttp import web

    data = Path(tempfile.mkdtemp(prefix="cs-fz-"))
    cfg = load_settings(environ={"CONSENTRY_DATA_DIR": str(data), "CONSENTRY_CLICKHOUSE_URL": f"chdb://{chdb_path}",
                                 "CONSENTRY_CLICKHOUSE_DATABASE": f"fz_{uuid.uuid4().hex[:10]}",
                                 "CONSENTRY_HTTP_PORT": "0", "CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS": "0",
                                 "CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS": "0"})
    loop = asyncio.new_event_loop()
    app = create_app(cfg)
    runner = web.AppRunner(app, access_log=None)
    ready = threading.Event()
    box: dict[str, int] = {}

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    assert ready.wait(60), "server did not start"
    yield Server(box["port"], app, loop)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    loop.close()
    shutil.rmtree(data, ignore_errors=True)


def mutate(batch: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    if field == "consent":
        batch["consent"]["telemetry"] = value
    elif field.startswith("event."):
        batch["events"][0][field[6:]] = value
    elif field == "prop":
        batch["events"][0]["props"]["x"] = value
    else:
        batch[field] = value
    return batch


anything = st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=30),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=3), max_leaves=10)
mutation = st.none() | st.tuples(st.sampled_from(["consent", "install_id", "context", "events", "event.name",
                                                  "event.ts", "event.event_id", "event.props", "prop"]), anything)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(mutation=mutation, fmt=st.sampled_from(["json", "msgpack"]),
       encoding=st.sampled_from([None, "gzip", "zstd", "br", "bogus"]),
       ctype=st.sampled_from([None, "text/plain", "application/json; charset=utf-8"]),
       garbage=st.none() | st.binary(max_size=64))
def test_any_request_is_answered_without_a_5xx(server: Server, mutation: Any, fmt: str, encoding: str | None,
                                               ctype: str | None, garbage: bytes | None) -> None:
    batch = make_batch(2)
    if mutation is not None:
        batch = mutate(batch, *mutation)
    raw = garbage if garbage is not None else (
        msgspec.json.encode(batch) if fmt == "json" else msgspec.msgpack.encode(batch))
    body = {"gzip": gzip.compress, "zstd": zstandard.ZstdCompressor().compress}.get(encoding or "", bytes)(raw)
    headers = {"Content-Type": ctype or f"application/{fmt}"}
    if encoding:
        headers["Content-Encoding"] = encoding
    events = batch.get("events") if isinstance(batch.get("events"), list) else []
    ids = [e["event_id"] for e in events if isinstance(e, dict) and isinstance(e.get("event_id"), str)]
    status = server.post(body, headers)
    assert status in ALLOWED, status
    server.sent.update(ids)
    if status == 202:
        server.acked.update(ids)


def test_only_acknowledged_events_were_stored(server: Server, chdb_path: Path) -> None:
    server.flush()
    client = open_client(f"chdb://{chdb_path}", chdb_path)
    store = ClickHouseStore(client, server.app[SETTINGS].clickhouse.database)
    stored = {r[0] for r in store.query(f"SELECT toString(event_id) FROM {store.database}.events").rows}
    assert server.sent and server.acked, "the fuzz test did not run first"
    assert stored == server.acked
