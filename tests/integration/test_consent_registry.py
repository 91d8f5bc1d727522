"""The consent registry end to end: a recorded denial refuses data on the native paths whatever the request claims,
reaches rows another worker already spooled, survives a restart, and is audited by keyed hash only."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from support import crash_form, drain, make_batch, stored_count

from ingest.app import create_app
from ingest.consent.registry import registry_path
from ingest.durable.records import SpoolBatch
from ingest.durable.spool import SpoolAppender
from ingest.metrics import Metrics
from ingest.settings import Settings
from ingest.state import SETTINGS
from storage.clickhouse.client import ClickHouseStore
from storage.rows import EventRow


async def choose(client: TestClient, identity: str, **choices: str) -> dict[str, Any]:
    response = await client.put(f"/v1/installs/{identity}/consent", json={"policy_version": "2026-11", **choices})
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def post_events(client: TestClient, install_id: str) -> int:
    return (await client.post("/v1/events", json=make_batch(2, install_id=install_id))).status


async def test_denial_refuses_one_scope_and_a_grant_restores_it(client: TestClient, store: ClickHouseStore) -> None:
    install = str(uuid.uuid4())
    assert await post_events(client, install) == 202
    recorded = await choose(client, install, telemetry="denied")
    assert recorded["choices"] == {"telemetry": "denied"} and recorded["policy_version"] == "2026-11"
    refused = await client.post("/v1/events", json=make_batch(2, install_id=install))  # claims consent: granted
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "consent_denied"
    assert (await client.post("/v1/crashes", data=crash_form(install))).status == 202  # crash_report untouched
    await choose(client, install, telemetry="granted")
    assert await post_events(client, install) == 202
    await drain(client)
    assert stored_count(store, f"install_id = '{install}'") == 4  # before the denial and after the grant
    metrics = await (await client.get("/metrics")).text()
    assert 'consentry_consent_changes_total{scope="telemetry",state="denied"} 1.0' in metrics
    assert 'consentry_refusals_total{code="consent_denied"} 1.0' in metrics


async def test_crash_denial_refuses_crashes(client: TestClient) -> None:
    install = str(uuid.uuid4())
    await choose(client, install, crash_report="denied")
    refused = await client.post("/v1/crashes", data=crash_form(install))
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "consent_denied"
    assert await post_events(client, install) == 202


async def test_registry_keeps_a_keyed_hash_never_the_identity(client: TestClient, store: ClickHouseStore) -> None:
    identity = "alice@example.com"  # what an app may use as a PostHog distinct_id
    await choose(client, identity, telemetry="denied", crash_report="granted")
    await drain(client)
    rows = store.query(f"SELECT install_hash, scope, state, policy_version FROM {store.database}.consent_changes "
                       "ORDER BY scope").rows
    assert [(r[1], r[2], r[3]) for r in rows] == [("crash_report", "granted", "2026-11"),
                                                 ("telemetry", "denied", "2026-11")]
    assert all(len(r[0]) == 32 and "alice" not in r[0] for r in rows)
    assert "alice" not in str(store.query(f"SELECT * FROM {store.database}.consent_changes").rows)
    assert "alice" not in registry_path(client.server.app[SETTINGS]).read_text()


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"policy_version": "v1"}, 422, "invalid_field"),  # no scope named
    ({"policy_version": "v1", "telemetry": "maybe"}, 422, "invalid_field"),
    ({"policy_version": "v1", "crash_reports": "denied"}, 422, "invalid_field"),  # misspelt scope: not ignored
    ({"telemetry": "denied"}, 422, "invalid_field"),  # policy_version is required
])
async def test_bad_choices_are_refused(client: TestClient, body: dict[str, Any], status: int, code: str) -> None:
    response = await client.put(f"/v1/installs/{uuid.uuid4()}/consent", json=body)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code


async def test_malformed_body_and_identity(client: TestClient) -> None:
    response = await client.put(f"/v1/installs/{uuid.uuid4()}/consent", data=b"{nope",
                                headers={"Content-Type": "application/json"})
    assert response.status == 400 and (await response.json())["error"]["code"] == "malformed_body"
    response = await client.put(f"/v1/installs/{'x' * 201}/consent",
                                json={"policy_version": "v", "telemetry": "denied"})
    assert response.status == 400 and (await response.json())["error"]["code"] == "malformed_parameter"


def _spooled_batch(install: uuid.UUID, accepted_at: float) -> SpoolBatch:
    now = datetime.now(UTC)
    row = EventRow(event_id=uuid.uuid4(), install_id=install, session_id=uuid.uuid4(), name="editor.opened", ts=now,
                   received_at=now, app="interpreter", app_version="1.0", os="linux", os_version="", device_type="",
                   policy_version="2026-11", props_str={}, props_num={}, props_bool={}, redactions={})
    return SpoolBatch.of(install, [row], accepted_at)


async def test_writer_drops_rows_another_worker_accepted_after_the_denial(
        client: TestClient, settings: Settings, store: ClickHouseStore) -> None:
    install = uuid.uuid4()
    before = time.time()
    await choose(client, str(install), telemetry="denied")
    await drain(client)  # the writer has recorded the denial
    other = SpoolAppender(settings.spool_path, "w9", Metrics(), max_bytes=1 << 30, min_free_bytes=0,
                          segment_bytes=1 << 20)
    other.open()  # a second worker that has not re-read the published denials yet
    await other.append(_spooled_batch(install, accepted_at=before - 1))  # accepted while consent stood
    await other.append(_spooled_batch(install, accepted_at=time.time()))  # accepted after the denial
    await other.close()
    await drain(client)
    assert stored_count(store, f"install_id = '{install}'") == 1
    metrics = await (await client.get("/metrics")).text()
    assert 'consentry_consent_dropped_rows_total{scope="telemetry"} 1.0' in metrics


async def test_denials_survive_a_restart_without_the_published_file(make_settings: Any) -> None:
    settings = make_settings()
    install = str(uuid.uuid4())
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        await choose(client, install, telemetry="denied")
        await drain(client)
    registry_path(settings).unlink()  # rebuilt from ClickHouse at start, not trusted from disk
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        assert await post_events(client, install) == 403
        assert await post_events(client, str(uuid.uuid4())) == 202
