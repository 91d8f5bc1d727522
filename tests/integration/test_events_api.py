"""POST /v1/events against the real app on 127.0.0.1 and a real chDB engine."""

from __future__ import annotations

import asyncio
import gzip
import io
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
import zstandard
from aiohttp.test_utils import TestClient
from support import drain, make_batch, stored

from storage.clickhouse.client import ClickHouseStore

JSON = {"Content-Type": "application/json"}
MSGPACK = {"Content-Type": "application/msgpack"}


async def post(client: TestClient, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    data = io.BytesIO(body) if len(body) > 1 << 20 else body  # aiohttp warns on large raw bodies
    async with client.post("/v1/events", data=data, headers=headers) as response:
        return response.status, await response.json()


def encode_json(batch: dict[str, Any]) -> bytes:
    return msgspec.json.encode(batch)


@pytest.mark.parametrize(
    ("encode", "headers"),
    [
        (encode_json, JSON),
        (msgspec.msgpack.encode, MSGPACK),
        (lambda b: gzip.compress(encode_json(b)), JSON | {"Content-Encoding": "gzip"}),
        (lambda b: zstandard.ZstdCompressor().compress(encode_json(b)), JSON | {"Content-Encoding": "zstd"}),
        (lambda b: gzip.compress(msgspec.msgpack.encode(b)), MSGPACK | {"Content-Encoding": "gzip"}),
    ],
    ids=["json", "msgpack", "json-gzip", "json-zstd", "msgpack-gzip"],
)
async def test_batch_is_stored_with_every_field(client: TestClient, store: ClickHouseStore, encode: Any,
                                               headers: dict[str, str]) -> None:
    batch = make_batch(3)
    status, body = await post(client, encode(batch), headers)
    assert (status, body["accepted"]) == (202, 3)
    await drain(client)
    result = store.query(
        f"SELECT toString(event_id), toString(install_id), toString(session_id), name, app, app_version, os, "
        f"os_version, device_type, policy_version, props_str, props_num, props_bool "
        f"FROM {store.database}.events ORDER BY props_num['duration_ms']"
    )
    assert len(result.rows) == 3
    for event, row in zip(batch["events"], result.rows, strict=True):
        assert row[:3] == [event["event_id"], batch["install_id"], event["session_id"]]
        assert row[3:10] == ["editor.opened", "interpreter", "1.4.2", "macos", "15.1", "laptop", "2026-01-21"]
        assert row[10:] == [{"mode": "split"}, {"duration_ms": float(event["props"]["duration_ms"])}, {"ok": True}]


async def test_timestamp_is_stored_in_utc_with_milliseconds(client: TestClient, store: ClickHouseStore) -> None:
    when = datetime.now(UTC).replace(microsecond=123000) - timedelta(hours=1)
    batch = make_batch(1)
    batch["events"][0]["ts"] = when.astimezone(timezone(timedelta(hours=2))).isoformat()  # +02:00 offset
    assert (await post(client, encode_json(batch), JSON))[0] == 202
    await drain(client)
    rows = store.query(f"SELECT toUnixTimestamp64Milli(ts) FROM {store.database}.events").rows
    assert rows == [[int(when.timestamp() * 1000)]]


@pytest.mark.parametrize("consent", [None, "denied", "unknown", "Granted", ""])
async def test_without_granted_consent_nothing_is_stored(client: TestClient, store: ClickHouseStore,
                                                         consent: str | None) -> None:
    status, body = await post(client, encode_json(make_batch(2, consent=consent)), JSON)
    assert status == 403
    assert body["error"]["code"] == "consent_required"
    assert await stored(client, store) == 0


async def test_consent_is_checked_before_fields(client: TestClient, store: ClickHouseStore) -> None:
    batch = make_batch(1, consent="denied")
    batch["install_id"] = "not-a-uuid"
    status, body = await post(client, encode_json(batch), JSON)
    assert (status, body["error"]["code"]) == (403, "consent_required")


def _bad_field(mutate: Any) -> bytes:
    batch = make_batch(3)
    mutate(batch)
    return encode_json(batch)


REFUSALS = [
    ("malformed-json", b'{"install_id": ', JSON, 400, "malformed_body"),
    ("not-an-object", b"[1, 2]", JSON, 400, "malformed_body"),
    ("malformed-msgpack", b"\xc1\xc1", MSGPACK, 400, "malformed_body"),
    ("bad-gzip", b"\x1f\x8b not gzip", JSON | {"Content-Encoding": "gzip"}, 400, "malformed_encoding"),
    ("truncated-gzip", gzip.compress(b'{"a": 1}' * 100)[:20], JSON | {"Content-Encoding": "gzip"}, 400,
     "malformed_encoding"),
    ("bad-zstd", b"not zstd", JSON | {"Content-Encoding": "zstd"}, 400, "malformed_encoding"),
    ("text-plain", b"{}", {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    ("compress", b"{}", JSON | {"Content-Encoding": "compress"}, 415, "unsupported_encoding"),
    ("bad-brotli", b"not brotli", JSON | {"Content-Encoding": "br"}, 400, "malformed_encoding"),
    ("bad-uuid", _bad_field(lambda b: b.update(install_id="nope")), JSON, 422, "invalid_field"),
    ("no-events", _bad_field(lambda b: b.update(events=[])), JSON, 422, "invalid_field"),
    ("missing-context", _bad_field(lambda b: b.pop("context")), JSON, 422, "invalid_field"),
    ("bad-name", _bad_field(lambda b: b["events"][1].update(name="Editor Opened!")), JSON, 422, "invalid_field"),
    ("nested-prop", _bad_field(lambda b: b["events"][2]["props"].update(x={"a": 1})), JSON, 422, "invalid_field"),
    ("list-prop", _bad_field(lambda b: b["events"][2]["props"].update(x=[1])), JSON, 422, "invalid_field"),
    ("bad-prop-key", _bad_field(lambda b: b["events"][0]["props"].update({"Bad Key": 1})), JSON, 422,
     "invalid_field"),
    ("long-string", _bad_field(lambda b: b["events"][2]["props"].update(x="a" * 1025)), JSON, 422, "invalid_field"),
    ("naive-ts", _bad_field(lambda b: b["events"][0].update(ts="2026-11-22T18:00:00")), JSON, 422, "invalid_field"),
    ("old-ts", _bad_field(lambda b: b["events"][0].update(ts="2001-01-01T00:00:00Z")), JSON, 422,
     "timestamp_out_of_range"),
    ("future-ts", _bad_field(lambda b: b["events"][0].update(ts="2099-01-01T00:00:00Z")), JSON, 422,
     "timestamp_out_of_range"),
    ("too-many-events", encode_json(make_batch(1001)), JSON, 413, "too_many_events"),
    ("body-too-large", b"{" + b" " * (1 << 20) + b"}", JSON, 413, "body_too_large"),
]


@pytest.mark.parametrize(("body", "headers", "status", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
async def test_refusals_are_precise_and_store_nothing(client: TestClient, store: ClickHouseStore, body: bytes,
                                                      headers: dict[str, str], status: int, code: str) -> None:
    got_status, got = await post(client, body, headers)
    assert (got_status, got["error"]["code"]) == (status, code)
    assert got["error"]["message"]
    assert await stored(client, store) == 0
    metrics = await (await client.get("/metrics")).text()
    assert f'consentry_refusals_total{{code="{code}"}} 1.0' in metrics


async def test_invalid_field_names_the_field(client: TestClient) -> None:
    _, body = await post(client, _bad_field(lambda b: b["events"][1].update(name="Bad Name")), JSON)
    assert "$.events[1].name" in body["error"]["message"]


async def test_gzip_bomb_is_refused_within_a_memory_bound(client: TestClient, store: ClickHouseStore) -> None:
    import tracemalloc

    bomb = gzip.compress(b"[" + b" " * (1 << 30) + b"]", compresslevel=9)  # 1 GiB of JSON in about 1 MB
    assert len(bomb) < (1 << 20)
    tracemalloc.start()
    try:
        status, body = await post(client, bomb, JSON | {"Content-Encoding": "gzip"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (status, body["error"]["code"]) == (413, "decompressed_too_large")
    assert peak < 64 << 20, f"decompression peaked at {peak >> 20} MiB"
    assert await stored(client, store) == 0


async def test_retried_batch_is_stored_once(client: TestClient, store: ClickHouseStore) -> None:
    body = encode_json(make_batch(5))
    for _ in range(3):
        assert (await post(client, body, JSON))[0] == 202
    assert await stored(client, store) == 5  # store.query reads with final=1, as `consentry query` does


async def test_concurrent_requests_share_fsyncs_and_inserts(client: TestClient, store: ClickHouseStore) -> None:
    bodies = [encode_json(make_batch(10)) for _ in range(40)]
    results = await asyncio.gather(*(post(client, b, JSON) for b in bodies))
    assert [status for status, _ in results] == [202] * 40
    assert await stored(client, store) == 400
    metrics = await (await client.get("/metrics")).text()
    fsyncs = next(line for line in metrics.splitlines() if line.startswith("consentry_spool_records_per_fsync_count"))
    inserts = next(line for line in metrics.splitlines() if line.startswith("consentry_insert_rows_count"))
    assert float(fsyncs.split()[-1]) < 40, fsyncs  # group commit: one fsync served several requests
    assert float(inserts.split()[-1]) < 40, inserts


async def test_metrics_move(client: TestClient) -> None:
    await post(client, encode_json(make_batch(4)), JSON)
    await post(client, encode_json(make_batch(2, consent="denied")), JSON)
    text = await (await client.get("/metrics")).text()
    assert "consentry_events_accepted_total 4.0" in text
    assert 'consentry_refusals_total{code="consent_required"} 1.0' in text
    assert 'consentry_requests_total{route="/v1/events",status="202"} 1.0' in text
    assert 'consentry_requests_total{route="/v1/events",status="403"} 1.0' in text
    assert "consentry_batch_events_sum 4.0" in text
    assert "consentry_spool_records_per_fsync_sum 1.0" in text


async def test_health_and_readiness(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert (ready.status, (await ready.json())["status"]) == (200, "ready")


async def test_unknown_route_is_404_not_500(client: TestClient) -> None:
    assert (await client.post("/v1/nothing", data=b"{}")).status == 404
    assert (await client.get("/v1/events")).status == 405


async def test_same_event_ids_from_another_install_are_not_merged(client: TestClient, store: ClickHouseStore) -> None:
    first = make_batch(1)
    second = make_batch(1, install_id=str(uuid.uuid4()))
    second["events"][0]["event_id"] = first["events"][0]["event_id"]
    for batch in (first, second):
        assert (await post(client, encode_json(batch), JSON))[0] == 202
    # Same event_id + same key columns collapse; ids are client-made UUIDs, so a clash means a retry.
    assert await stored(client, store) == 1
