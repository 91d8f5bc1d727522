"""Deletion requests end to end: rows in every table and crash objects (local store and SeaweedFS) are removed,
data still in the spool never lands, later events are refused, and the audit keeps a keyed hash only."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer
from support import crash_form, drain, make_batch

from ingest.app import create_app
from ingest.consent.keys import hash_key
from ingest.settings import Settings
from ingest.state import WRITER_SERVICE
from ingest.stores import open_objects
from storage.clickhouse.client import ClickHouseStore
from storage.privacy import install_hash

JSON = {"Content-Type": "application/json"}



def count(store: ClickHouseStore, table: str, install_id: str) -> int:
    return int(store.query(f"SELECT count() FROM {store.database}.{table} "
                           f"WHERE install_id = '{install_id}'").rows[0][0])


async def request_deletion(client: TestClient, install_id: str) -> str:
    response = await client.post("/v1/deletion-requests", json={"install_id": install_id,
                                                                "reason": "consent_withdrawn"})
    assert response.status == 202
    body = await response.json()
    assert body["status"] == "pending"
    return str(body["request_id"])


async def test_deletion_removes_rows_and_objects_and_refuses_later_data(
        app_on_each_store: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, settings = app_on_each_store
    gone, kept = str(uuid.uuid4()), str(uuid.uuid4())
    for install in (gone, kept):
        assert (await client.post("/v1/events", json=make_batch(3, install_id=install))).status == 202
        assert (await client.post("/v1/crashes", data=crash_form(install, attachment=b"log line"))).status == 202
    await drain(client)
    objects = open_objects(settings)
    assert len(objects.list("crashes/")) == 4
    request_id = await request_deletion(client, gone)
    await drain(client)  # the writer registers the request and runs the deletion
    status = await (await client.get(f"/v1/deletion-requests/{request_id}")).json()
    assert status["status"] == "done" and status["completed_at"]
    metrics = await (await client.get("/metrics")).text()
    assert "consentry_deletion_requests_pending 0.0" in metrics
    assert "consentry_deletion_sla_seconds 86400.0" in metrics  # privacy.deletion_sla_hours = 24
    assert "consentry_deletion_requests_total 1.0" in metrics
    assert (count(store, "events", gone), count(store, "crashes", gone)) == (0, 0)
    assert (count(store, "events", kept), count(store, "crashes", kept)) == (3, 1)
    # The per-install report rollup (schemas/0007) loses the install's rows too; the other install keeps its.
    assert (count(store, "rollup_install_weeks", gone), count(store, "rollup_install_weeks", kept)) == (0, 1)
    assert len(objects.list("crashes/")) == 2  # only the other install's dump and attachment remain
    objects.close()
    refused = await client.post("/v1/events", json=make_batch(1, install_id=gone))
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "consent_withdrawn"
    assert (await client.post("/v1/crashes", data=crash_form(gone))).status == 403
    audit = store.query(f"SELECT install_hash, rows_removed, objects_removed, status "
                        f"FROM {store.database}.deletion_audit").rows
    digest = install_hash(hash_key(settings), uuid.UUID(gone))
    assert audit == [[digest, {"events": 3, "crashes": 1, "rollup_install_weeks": 1}, 2, "done"]]
    every_table = store.query(f"SELECT name FROM system.tables WHERE database = '{store.database}'").rows
    for (table,) in every_table:  # the id itself is nowhere any more, in any column of any table
        text = store.query(f"SELECT count() FROM {store.database}.{table} WHERE "
                           f"position(toString(tuple(*)), '{gone}') > 0").rows[0][0]
        assert text == 0, table


async def test_data_still_in_the_spool_never_lands(client: TestClient, store: ClickHouseStore) -> None:
    install = str(uuid.uuid4())
    writer = client.server.app[WRITER_SERVICE].writer
    await writer.stop(0)  # hold the writer: everything below stays in the spool until it drains
    assert (await client.post("/v1/events", json=make_batch(4, install_id=install))).status == 202
    await request_deletion(client, install)
    await writer.flush()
    assert count(store, "events", install) == 0
    in_flight = store.query(f"SELECT in_flight_removed FROM {store.database}.deletion_audit").rows
    assert in_flight == [[4]]


async def test_second_request_is_not_an_error_and_rerun_changes_nothing(client: TestClient,
                                                                      store: ClickHouseStore) -> None:
    install = str(uuid.uuid4())
    assert (await client.post("/v1/events", json=make_batch(2, install_id=install))).status == 202
    first = await request_deletion(client, install)
    second = await request_deletion(client, install)
    await drain(client)
    for request_id in (first, second):
        assert (await (await client.get(f"/v1/deletion-requests/{request_id}")).json())["status"] == "done"
    gate = client.server.app[WRITER_SERVICE].writer.gate
    assert gate is not None
    outcome = await gate.run()
    assert outcome.requests == 0 and outcome.objects == 0


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"install_id": "nope"}, 422, "invalid_field"),
    ({"install_id": str(uuid.uuid4()), "reason": "Not A Reason!"}, 422, "invalid_field"),
    ("{", 400, "malformed_body"),
])
async def test_bad_deletion_requests(client: TestClient, body: Any, status: int, code: str) -> None:
    data = body if isinstance(body, str) else msgspec.json.encode(body)
    response = await client.post("/v1/deletion-requests", data=data, headers=JSON)
    assert response.status == status and (await response.json())["error"]["code"] == code


async def test_unknown_request_id(client: TestClient) -> None:
    assert (await client.get(f"/v1/deletion-requests/{uuid.uuid4()}")).status == 404
    assert (await client.get("/v1/deletion-requests/nope")).status == 400


async def test_block_list_survives_a_restart(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings()
    install = str(uuid.uuid4())
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        await request_deletion(client, install)
        await drain(client)
    (settings.data_path / "deleted-installs.json").unlink()  # rebuilt from the audit trail at start
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        await drain(client)
        import asyncio

        await asyncio.sleep(1.1)  # workers re-read the block list at most once a second
        assert (await client.post("/v1/events", json=make_batch(1, install_id=install))).status == 403


async def test_a_deletion_reaches_another_writers_spool(make_settings: Any, store: ClickHouseStore,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two collectors (one spool and writer each) on one ClickHouse: a request recorded by one removes the
    install's rows from storage and from the other's spool backlog."""
    from ingest.durable import deletions as gate_module

    monkeypatch.setattr(gate_module, "REFRESH_INTERVAL_S", 0.0)  # look at ClickHouse on every drain pass
    first = make_settings()
    second = make_settings(CONSENTRY_DATA_DIR=tempfile.mkdtemp(prefix="cs-b-"),
                           CONSENTRY_PRIVACY_HASH_KEY=hash_key(first).hex())  # one key for the deployment
    install = str(uuid.uuid4())
    async with TestClient(TestServer(create_app(first), host="127.0.0.1")) as a, \
            TestClient(TestServer(create_app(second), host="127.0.0.1")) as b:
        assert (await b.post("/v1/events", json=make_batch(2, install_id=install))).status == 202
        await drain(b)  # stored through b
        b_writer = b.server.app[WRITER_SERVICE].writer
        await b_writer.stop(0)  # hold b's writer: the next batch waits in b's spool
        assert (await b.post("/v1/events", json=make_batch(3, install_id=install))).status == 202
        await request_deletion(a, install)
        await drain(a)  # a registers the request and deletes what is stored
        assert count(store, "events", install) == 0
        await b_writer.flush()  # b drains its backlog: the request, seen in ClickHouse, keeps it out
        assert count(store, "events", install) == 0
        await asyncio.sleep(1.1)
        refused = await b.post("/v1/events", json=make_batch(1, install_id=install))
        assert refused.status == 403  # b's workers read the block list b's writer published
    shutil.rmtree(second.data_dir, ignore_errors=True)
