"""Deletion requests end to end: rows in every table and crash objects (local store and SeaweedFS) are removed,
data still in the spool never lands, later events are refused, and the audit keeps a keyed hash only."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
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
from storage.rows import EventRow

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


async def test_requests_filed_together_are_erased_in_one_batch(make_settings: Any, store: ClickHouseStore) -> None:
    """Many requests at once: one batch (one pass per table, one audit insert, one queue write), every install's
    rows and objects gone, another install's rows, days and objects untouched, every request done."""
    settings = make_settings(CONSENTRY_RATE_LIMIT_DELETION_PER_CLIENT_RPS="0")
    gone = [str(uuid.uuid4()) for _ in range(12)]
    kept = str(uuid.uuid4())
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        days = [datetime.now(UTC) - timedelta(days=n, minutes=5) for n in (0, 3, 9)]
        for install in [*gone, kept]:
            for when in days:  # three day partitions each
                batch = make_batch(2, install_id=install, ts=when)
                assert (await client.post("/v1/events", json=batch)).status == 202
            assert (await client.post("/v1/crashes", data=crash_form(install, attachment=b"log"))).status == 202
        await drain(client)
        writer = client.server.app[WRITER_SERVICE].writer
        await writer.stop(0)  # hold the writer: every request reaches the same drain
        ids = await asyncio.gather(*(request_deletion(client, install) for install in gone))
        await writer.flush()
        for request_id in ids:
            assert (await (await client.get(f"/v1/deletion-requests/{request_id}")).json())["status"] == "done"
        metrics = await (await client.get("/metrics")).text()
        assert "consentry_deletion_batch_requests_count 1.0" in metrics
        assert "consentry_deletion_batch_requests_sum 12.0" in metrics
        assert "consentry_deletion_batch_seconds_count 1.0" in metrics
        assert "consentry_deletion_requests_completed_total 12.0" in metrics
    where = "install_id IN (" + ", ".join(f"'{i}'" for i in gone) + ")"
    for table in ("events", "crashes", "rollup_install_weeks"):
        assert store.query(f"SELECT count() FROM {store.database}.{table} WHERE {where}").rows == [[0]], table
    assert (count(store, "events", kept), count(store, "crashes", kept)) == (6, 1)
    kept_days = store.query(f"SELECT uniqExact(toDate(ts)) FROM {store.database}.events "
                            f"WHERE install_id = '{kept}'").rows
    assert kept_days == [[3]]
    objects = open_objects(settings)
    assert len(objects.list("crashes/")) == 2  # the kept install's dump and attachment
    objects.close()
    audit = store.query(f"SELECT rows_removed, objects_removed FROM {store.database}.deletion_audit FINAL "
                        "WHERE status = 'done'").rows
    assert len(audit) == 12
    assert all(rows == {"events": 6, "crashes": 1, "rollup_install_weeks": rows["rollup_install_weeks"]}
               and rows["rollup_install_weeks"] >= 1 and objects_removed == 2 for rows, objects_removed in audit)
    assert store.query(f"SELECT count() FROM {store.database}.deletion_queue").rows == [[0]]


async def test_the_deletion_route_is_rate_limited_per_client(make_settings: Any) -> None:
    """Issue 18, item 11: 300 unauthenticated requests in a burst; the bucket lets `burst` through."""
    settings = make_settings(CONSENTRY_RATE_LIMIT_DELETION_PER_CLIENT_BURST="5")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        writer = client.server.app[WRITER_SERVICE].writer
        await writer.stop(0)

        async def post() -> tuple[int, str | None]:
            response = await client.post("/v1/deletion-requests", json={"install_id": str(uuid.uuid4())})
            return response.status, response.headers.get("Retry-After")

        answers = await asyncio.gather(*(post() for _ in range(300)))
        statuses = [status for status, _ in answers]
        assert statuses.count(202) in (5, 6)  # the burst (plus at most one token refilled meanwhile at 1/s)
        assert statuses.count(429) == 300 - statuses.count(202)
        assert all(retry for status, retry in answers if status == 429)
        events = await client.post("/v1/events", json=make_batch(1))  # other routes keep their own limits
        assert events.status == 202


def test_batches_are_bounded_and_busy_days_fall_back_to_a_mutation(db: ClickHouseStore, tmp_path: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """run_deletions straight on storage: 5 requests in batches of 2 (three batches); a day that changes under
    every copy, and on a server today's and yesterday's, are erased by ALTER ... DELETE IN PARTITION instead."""
    from storage.jobs import deletions as job
    from storage.objects import LocalObjectStore

    now = datetime.now(UTC)
    installs = [uuid.uuid4() for _ in range(6)]  # the last one stays
    rows = [EventRow(uuid.uuid4(), install, uuid.uuid4(), "open", now - timedelta(days=d), now, "a", "1", "ios",
                     "17", "phone", "1", {}, {}, {}, {}) for install in installs for d in (0, 5, 12)]
    db.insert_events(rows)
    requests = [job.DeletionRequest(uuid.uuid4(), install, "consent_withdrawn", now) for install in installs[:5]]
    job.register(db, requests, b"k" * 32, now)
    busy = f"{now - timedelta(days=12):%Y%m%d}"
    real_partition_of = job.partition_of
    calls = {"n": 0}

    def changing(store: ClickHouseStore, table: str, day: Any) -> Any:
        found = real_partition_of(store, table, day)
        if found is None or table != "events" or found.partition_id != busy:
            return found
        calls["n"] += 1
        return msgspec.structs.replace(found, max_block=found.max_block + calls["n"])  # an insert each time

    monkeypatch.setattr(job, "partition_of", changing)
    monkeypatch.setattr(db, "embedded", False)  # as on a server: the hot days are mutated
    outcome = job.run_deletions(db, LocalObjectStore(tmp_path), b"k" * 32, now, batch_size=2)
    assert [b.requests for b in outcome.batches] == [2, 2, 1]
    assert outcome.rows["events"] == 15
    # per batch: today and yesterday (hot) and the busy day by mutation on events; day 5 rewritten
    assert all(b.mutations >= 2 for b in outcome.batches)
    assert calls["n"] >= job.ATTEMPTS * 3
    left = db.query(f"SELECT install_id, count() FROM {db.database}.events GROUP BY install_id").rows
    assert left == [[installs[5], 3]]
    assert db.query(f"SELECT count() FROM {db.database}.deletion_queue").rows == [[0]]
    assert job.run_deletions(db, LocalObjectStore(tmp_path), b"k" * 32, now).requests == 0


async def test_a_burst_is_erased_once_it_has_settled(client: TestClient, store: ClickHouseStore,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer registers requests at once (the block applies from then on) but erases only once no request
    arrived for SETTLE_S, so a burst spread over several drains is one batch."""
    from ingest.durable import deletions as gate_module

    writer = client.server.app[WRITER_SERVICE].writer
    await writer.stop(0)
    install = str(uuid.uuid4())
    assert (await client.post("/v1/events", json=make_batch(2, install_id=install))).status == 202
    await writer.flush()
    request_id = await request_deletion(client, install)
    monkeypatch.setattr(gate_module, "SETTLE_S", 60.0)
    await writer.drain_once()  # registers it; the burst may go on
    audit = f"SELECT status FROM {store.database}.deletion_audit FINAL WHERE request_id = '{request_id}'"
    assert store.query(audit).rows == [["pending"]]
    # An SDK polling the status sees it pending, and the poll does not force the erase (it would split the batch).
    for _ in range(3):
        assert (await (await client.get(f"/v1/deletion-requests/{request_id}")).json())["status"] == "pending"
    assert store.query(audit).rows == [["pending"]]
    assert count(store, "events", install) == 2
    assert (await client.post("/v1/events", json=make_batch(1, install_id=install))).status == 403  # blocked now
    monkeypatch.setattr(gate_module, "SETTLE_S", 0.0)
    await writer.drain_once()  # settled: erased
    assert store.query(audit).rows == [["done"]]
    assert count(store, "events", install) == 0


async def test_requests_left_pending_are_erased_after_start(make_settings: Any, store: ClickHouseStore) -> None:
    """A request registered but not erased (the writer died) is finished by the next writer's first pass, after
    start-up (a large batch must not hold the writer past serve's start-up wait), and refused meanwhile."""
    from storage.jobs import deletions as job

    settings = make_settings()
    install = str(uuid.uuid4())
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        assert (await client.post("/v1/events", json=make_batch(2, install_id=install))).status == 202
        await drain(client)
    now = datetime.now(UTC)
    job.register(store, [job.DeletionRequest(uuid.uuid4(), uuid.UUID(install), "consent_withdrawn", now)],
                 hash_key(settings), now)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        audit = f"SELECT status FROM {store.database}.deletion_audit FINAL"
        for _ in range(300):  # the writer's own loop, no barrier; the audit row is settled after the rows go
            if count(store, "events", install) == 0 and store.query(audit).rows == [["done"]]:
                break
            await asyncio.sleep(0.1)
        assert count(store, "events", install) == 0
        assert store.query(f"SELECT status FROM {store.database}.deletion_audit FINAL").rows == [["done"]]
