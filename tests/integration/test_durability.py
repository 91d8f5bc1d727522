"""Spool and writer against real chDB: replay is idempotent, damage is skipped, outages and caps back-pressure."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
from aiohttp.test_utils import TestClient, TestServer
from support import make_batch, stored, stored_count

from ingest.app import create_app
from ingest.durable import checkpoint
from ingest.durable.records import HEADER_SIZE, SpoolBatch, frame
from ingest.durable.segments import segments
from ingest.settings import Settings
from ingest.state import WRITER_SERVICE
from storage.clickhouse.client import ClickHouseStore

JSON = {"Content-Type": "application/json"}


async def post(client: TestClient, batch: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post("/v1/events", data=msgspec.json.encode(batch), headers=JSON) as response:
        return response.status, await response.json()


async def test_replay_after_losing_the_checkpoint_adds_no_duplicates(client: TestClient, store: ClickHouseStore,
                                                                     settings: Settings) -> None:
    for _ in range(4):
        assert (await post(client, make_batch(5)))[0] == 202
    assert await stored(client, store) == 20
    writer = client.server.app[WRITER_SERVICE].writer
    writer._checkpoint = checkpoint.Checkpoint()  # as if the writer died before saving its progress
    await writer.flush()
    metrics = await (await client.get("/metrics")).text()
    assert "consentry_insert_rows_sum 40.0" in metrics  # everything was inserted a second time...
    assert stored_count(store) == 20  # ...and queries still see each event once


async def test_writer_skips_a_torn_tail_in_an_abandoned_segment(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings()
    worker_dir = settings.spool_path / "w0"
    worker_dir.mkdir(parents=True)
    good = make_batch(3)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        assert (await post(client, good))[0] == 202
        current = segments(worker_dir)[-1]
        with open(current, "ab") as segment:  # a worker killed mid-write leaves half a record behind
            segment.write(frame(SpoolBatch.of(uuid.uuid4(), []))[: HEADER_SIZE + 3])
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:  # restart
        assert (await post(client, make_batch(2)))[0] == 202
        assert await stored(client, store) == 5
        metrics = await (await client.get("/metrics")).text()
        assert "consentry_spool_damaged_records_total 1.0" in metrics
        assert current not in segments(worker_dir)  # drained and no longer the newest: deleted


async def test_storage_outage_keeps_intake_open_and_the_backlog_drains(client: TestClient,
                                                                       store: ClickHouseStore) -> None:
    db = store.database
    store.command(f"DETACH TABLE {db}.events")  # a real fault: inserts now fail inside ClickHouse
    try:
        results = [await post(client, make_batch(4)) for _ in range(5)]
        assert [status for status, _ in results] == [202] * 5
        writer = client.server.app[WRITER_SERVICE].writer
        for _ in range(100):
            if writer.last_error:
                break
            await asyncio.sleep(0.05)
        assert writer.last_error is not None
        metrics = await (await client.get("/metrics")).text()
        assert "consentry_writer_failures_total 0.0" not in metrics
        assert (await client.get("/readyz")).status == 200  # the spool absorbs the outage
    finally:
        store.command(f"ATTACH TABLE {db}.events")
    assert await stored(client, store) == 20


async def test_spool_cap_answers_503_and_unready(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_SPOOL_MAX_BYTES="2000")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        statuses = []
        for _ in range(10):
            status, body = await post(client, make_batch(5))
            statuses.append(status)
            if status == 503:
                assert body["error"]["code"] == "spool_full"
            await asyncio.sleep(0.11)  # the size check is cached for 100 ms
        assert 202 in statuses and 503 in statuses
        ready = await client.get("/readyz")
        assert ready.status == 503 and ready.headers.get("Retry-After") is None
        refused = await client.post("/v1/events", data=msgspec.json.encode(make_batch(1)), headers=JSON)
        assert refused.status == 503 and refused.headers["Retry-After"] == "5"
        accepted = statuses.count(202) * 5
        assert await stored(client, store) == accepted  # everything acknowledged was kept


async def test_rate_limit_per_install(make_settings: Any) -> None:
    settings = make_settings(CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS="0.5", CONSENTRY_RATE_LIMIT_PER_INSTALL_BURST="2")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        install = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b"
        statuses = [(await post(client, make_batch(1, install_id=install)))[0] for _ in range(3)]
        assert statuses == [202, 202, 429]
        other = await post(client, make_batch(1))
        assert other[0] == 202  # another install has its own bucket
        response = await client.post("/v1/events", data=msgspec.json.encode(make_batch(1, install_id=install)),
                                     headers=JSON)
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        assert (await response.json())["error"]["code"] == "rate_limited"
        metrics = await (await client.get("/metrics")).text()
        assert 'consentry_refusals_total{code="rate_limited"} 2.0' in metrics
