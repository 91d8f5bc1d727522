"""The PostHog front door against the real app on 127.0.0.1: recorded SDK requests replayed byte for byte, and the
real posthog client (posthog==7.91.1) driven against the live server."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import uuid
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from support import drain

from ingest.app import create_app
from ingest.settings import Settings
from ingest.state import INTAKE, METRICS
from storage.clickhouse.client import ClickHouseStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdk" / "posthog"  # recordings of the real SDK's requests
FIXTURE_DAY = datetime(2026, 11, 23, tzinfo=UTC)  # when the fixtures were recorded (their event timestamps)
KEYS = {
    "phc_test": {"app": "shop", "scopes": ["telemetry", "crash_report"]},
    "phc_429": {"app": "shop", "scopes": ["telemetry"]},
    "phc_marker": {"app": "shop", "scopes": ["telemetry"], "require_marker": True},
    "phc_revoked": {"app": "shop", "scopes": ["telemetry"], "revoked": True},
}
# Values planted in what the SDK sends: none may reach storage in any form.
PLANTED = ("alice@example.com", "Alice Example", "user-alice", "anon-123", "/home/alice", "token=abc",
           "bob@example.org", "bob.builder@example.org", "/home/bob", "sk_live_51HqLyjWDarjtT1zdp7dc",
           "hunter2-secret", "customer_email", "tok_live_abcdef1234567890", "card_last4")


def window_env() -> dict[str, str]:
    """Widen the clock window so the recorded timestamps stay accepted however old the fixtures get."""
    days = max(30, (datetime.now(UTC) - FIXTURE_DAY).days + 2)
    return {"CONSENTRY_LIMITS_MAX_EVENT_AGE_DAYS": str(days), "CONSENTRY_RETENTION_EVENTS_DEIDENTIFY_DAYS": str(days),
            "CONSENTRY_RETENTION_CRASHES_DEIDENTIFY_DAYS": str(days),
            "CONSENTRY_RETENTION_EVENTS_DELETE_DAYS": str(days + 180),
            "CONSENTRY_RETENTION_CRASHES_DELETE_DAYS": str(days + 180)}


@pytest.fixture
def ph_settings(make_settings: Any) -> Settings:
    return make_settings(CONSENTRY_INGEST_KEYS=json.dumps(KEYS), **window_env())


@pytest.fixture
async def ph(ph_settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(ph_settings), host="127.0.0.1")) as client:
        yield client


def load(name: str) -> tuple[str, str, dict[str, str], bytes, dict[str, Any]]:
    meta = json.loads((FIXTURES / f"{name}.request.json").read_text())
    body = (FIXTURES / meta["body_file"]).read_bytes()
    headers = {k: v for k, v in meta["headers"] if k.lower() not in ("host", "content-length")}
    path = meta["path"] + (("?" + meta["query"]) if meta["query"] else "")
    return meta["method"], path, headers, body, meta


async def replay(client: TestClient, name: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    method, path, headers, body, _ = load(name)
    async with client.request(method, path, data=body, headers=headers) as response:
        return response.status, await response.json(), dict(response.headers)


def events(store: ClickHouseStore) -> list[list[Any]]:
    return store.query(f"SELECT name, toString(install_id), toString(event_id), app, app_version, os, os_version, "
                       f"props_str, props_num, props_bool FROM {store.database}.events FINAL ORDER BY name").rows


def everything_stored(store: ClickHouseStore, data_dir: Path) -> str:
    """Every column of every row in events and crashes as text, plus every file under the data dir (spool)."""
    parts = [repr(store.query(f"SELECT * FROM {store.database}.{table}").rows) for table in ("events", "crashes")]
    parts += [path.read_bytes().decode("utf-8", "replace") for path in data_dir.rglob("*") if path.is_file()]
    return "\n".join(parts)


def dropped(client: TestClient, reason: str) -> float:
    registry = client.server.app[METRICS].registry
    return registry.get_sample_value("consentry_sdk_dropped_total", {"sdk": "posthog", "reason": reason}) or 0.0


def requests_seen(client: TestClient, route: str, status: str) -> float:
    registry = client.server.app[METRICS].registry
    return registry.get_sample_value("consentry_requests_total", {"route": route, "status": status}) or 0.0


def install_of(client: TestClient, distinct_id: str) -> str:
    return str(client.server.app[INTAKE].registry.install_id(distinct_id))


# --- recorded requests ------------------------------------------------------------------------------------------

# fixture -> (status, event names stored, crash exception types stored). 06/07 are replayed by their own test.
EXPECTED: dict[str, tuple[int, list[str], list[str]]] = {
    "01-flags-v4": (200, [], []),
    # $set and $create_alias are profile data (dropped); the $exception becomes a crash report.
    "02-batch-v0-default": (200, ["anon_ping", "order_placed", "page_viewed", "posthog.feature_flag_called"],
                            ["ValueError"]),
    # super property $consent=analytics grants telemetry only: the $exception (crash_report) is narrowed away.
    "03-batch-v0-gzip-codevars-superprops": (200, ["anon_ping", "order_placed", "page_viewed"], []),
    "04-v1-events-env-selected": (200, ["order_placed"], []),
    "05-v1-events-gzip": (200, ["order_placed"], []),
    "08-batch-sync-mode": (200, ["sync_event"], []),
    "09-batch-exception-autocapture-thread": (200, [], ["ValueError"]),
}


def crashes(store: ClickHouseStore) -> list[list[Any]]:
    return store.query(f"SELECT exception_type, toString(install_id), source, fingerprint, frames, extra, "
                       f"toString(crash_id) FROM {store.database}.crashes FINAL ORDER BY crash_id").rows


def test_every_fixture_is_replayed() -> None:
    names = {p.name.removesuffix(".request.json") for p in FIXTURES.glob("*.request.json")}
    assert names == set(EXPECTED) | {"06-batch-answered-429-attempt1", "07-batch-answered-429-attempt2"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_fixture_replay(ph: TestClient, store: ClickHouseStore, ph_settings: Settings, name: str) -> None:
    status, body, _ = await replay(ph, name)
    want_status, want_names, want_crashes = EXPECTED[name]
    assert status == want_status
    if name.startswith("01-"):
        assert {k: body[k] for k in ("flags", "errorsWhileComputingFlags", "featureFlags", "featureFlagPayloads")} \
            == {"flags": {}, "errorsWhileComputingFlags": False, "featureFlags": {}, "featureFlagPayloads": {}}
        assert body["sessionRecording"] is False  # the SDK does not record screens at all
    elif "v1" in name:
        meta = load(name)[4]
        sent = json.loads((FIXTURES / (meta["decoded_file"] or meta["body_file"])).read_bytes())
        ids = [e["uuid"] for e in sent["batch"]]
        assert body == {"results": {ids[0]: {"result": "ok"}, ids[1]: {"result": "drop", "details": "profile_event"}}}
    else:
        assert body == {"status": 1}
    await drain(ph)
    rows = events(store)
    assert [row[0] for row in rows] == want_names
    assert [row[0] for row in crashes(store)] == want_crashes
    alice = install_of(ph, "user-alice")
    for row in rows:
        assert row[3] == "shop"  # the key's app
        if row[0] != "anon_ping":
            assert row[1] == alice  # the pseudonymous install id, never the distinct_id
    text = everything_stored(store, ph_settings.data_path)
    for value in PLANTED:
        assert value not in text, value


async def test_fixture_order_placed_mapping(ph: TestClient, store: ClickHouseStore) -> None:
    status, _, _ = await replay(ph, "02-batch-v0-default")
    assert status == 200
    await drain(ph)
    row = next(r for r in events(store) if r[0] == "order_placed")
    assert row[2] == "3728d0be-17ac-4574-929c-68b83e0bd9cf"  # uuid -> event_id
    assert row[3:7] == ["shop", "unknown", "Linux", "12"]
    props_str, props_num, props_bool = row[7:]
    assert props_str["email"] == "[removed]"
    assert props_str["posthog.current_url"] == "https://shop.example/checkout?token=[secret]"
    assert props_str["order_id"] == "o-991" and props_str["posthog.os_distro"] == "Debian GNU/Linux"
    assert props_num == {"amount": 42.5}
    assert props_bool == {"posthog.is_server": True}
    assert not any(k.startswith(("posthog.geoip", "posthog.lib", "posthog.ip")) for k in props_str | props_bool)
    assert dropped(ph, "profile_event") == 2  # $set and $create_alias


async def test_fixture_429_replay_is_rate_limited(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_INGEST_KEYS=json.dumps(KEYS), CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS="0.001",
                             CONSENTRY_RATE_LIMIT_PER_INSTALL_BURST="1", **window_env())
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        first, _, _ = await replay(client, "06-batch-answered-429-attempt1")
        second, body, headers = await replay(client, "07-batch-answered-429-attempt2")
        assert (first, second) == (200, 429)
        assert body["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) >= 1
        await drain(client)
        assert [row[0] for row in events(store)] == ["will_be_429"]  # the retry is the same event: stored once


async def test_exception_fingerprints_like_a_native_crash(ph: TestClient, store: ClickHouseStore) -> None:
    for name in ("02-batch-v0-default", "09-batch-exception-autocapture-thread"):
        assert (await replay(ph, name))[0] == 200
    native = {"crash_id": "7f0c6a58-3a1e-4d55-9a57-3c1f0e6c9a11", "install_id": "0c2f1e4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
              "consent": {"crash_report": "granted"}, "context": {"app": "shop", "app_version": "1", "os": "Linux"},
              "exception": {"type": "ValueError", "message": "bad"},
              "threads": [{"crashed": True, "frames": [
                  {"module": "app", "function": "parse_order", "file": "app.py", "line": 99, "in_app": True},
                  {"module": "app", "function": "checkout", "file": "app.py", "line": 1, "in_app": True}]}]}
    form = aiohttp.FormData()
    form.add_field("report", json.dumps(native), filename="r.json", content_type="application/json")
    assert (await ph.post("/v1/crashes", data=form)).status == 202
    await drain(ph)
    rows = crashes(store)
    assert len(rows) == 3
    by_id = {row[6]: row for row in rows}
    handled = by_id["25d7aefd-fe8e-4cc2-b668-7d1394275b9c"]  # fixture 02's event uuid is the crash id
    thread = next(row for row in rows if row[5].get("source") == "python.threading_excepthook")
    assert len({row[3] for row in rows}) == 1  # one group: same type, same in-app module:function frames
    assert handled[:3] == ["ValueError", install_of(ph, "user-alice"), "posthog"]
    assert handled[5] == {"level": "error", "handled": "True"} and thread[5]["handled"] == "False"
    frame = handled[4][0]  # innermost first, as native frames
    assert [frame[k] for k in ("module", "function", "line", "in_app")] == ["app", "parse_order", 6, True]
    assert "/home/alice" not in frame["file"] and frame["file"].endswith("app.py")


# --- the real posthog client ----------------------------------------------------------------------------------

async def with_posthog(client: TestClient, work: Callable[[Any], None], key: str = "phc_test",
                       **options: Any) -> None:
    """Run `work(posthog_client)` in a thread (the server keeps serving on this loop); always shut the client down."""
    from posthog import Posthog

    def run() -> None:
        ph = Posthog(key, host=str(client.make_url("")).rstrip("/"), **options)
        try:
            work(ph)
        finally:
            ph.shutdown()

    await asyncio.to_thread(run)


async def test_real_client_batch_keeps_events_without_personal_data(ph: TestClient, store: ClickHouseStore,
                                                                   ph_settings: Settings) -> None:
    def work(ph_client: Any) -> None:
        ph_client.set(distinct_id="bob@example.org", properties={"email": "bob.builder@example.org", "plan": "pro"})
        for i in range(5):
            ph_client.capture("Report Exported", distinct_id="bob@example.org", properties={
                "email": "bob.builder@example.org", "file": "/home/bob/reports/q3.pdf", "api_token":
                "hunter2-secret", "note": "key sk_live_51HqLyjWDarjtT1zdp7dc", "pages": i,
                "$current_url": "https://app.example/export?token=abc", "$ip": "203.0.113.9",
                "$set": {"email": "bob.builder@example.org"}, "filters": {"kind": "pdf", "deep": {"x": {"y": 1}}},
                "tags": ["a", "b"]})
        ph_client.flush()

    await with_posthog(ph, work, flush_at=100, flush_interval=60)
    await drain(ph)
    rows = events(store)
    assert len(rows) == 5
    bob = install_of(ph, "bob@example.org")
    for row in rows:
        name, install, _, app, _, os_name = row[:6]
        props_str, props_num = row[7], row[8]
        assert (name, install, app) == ("report_exported", bob, "shop")
        assert os_name == "Linux"
        assert props_str["email"] == "[removed]" and props_str["api_token"] == "[removed]"
        assert props_str["file"].startswith("~/reports/")  # the home directory (user name) is gone
        assert props_str["filters.kind"] == "pdf" and props_num["pages"] in range(5)
        assert props_str["filters.deep.x"] == '{"y":1}' and props_str["tags"] == '["a","b"]'  # as JSON text
        assert "posthog.set" not in props_str and "posthog.ip" not in props_str
    text = everything_stored(store, ph_settings.data_path)
    for value in PLANTED:
        assert value not in text, value
    assert dropped(ph, "profile_event") == 1
    assert dropped(ph, "person_properties") == 5 and dropped(ph, "identifier_property") == 5
    assert dropped(ph, "nested_property") == 0  # deeper objects and lists are kept as JSON text


async def test_registry_denial_is_answered_200_and_not_retried(ph: TestClient, store: ClickHouseStore) -> None:
    response = await ph.put("/v1/installs/carol@example.org/consent",
                            json={"telemetry": "denied", "policy_version": "2026-11"})
    assert response.status == 200
    errors: list[Any] = []

    def work(ph_client: Any) -> None:
        for _ in range(3):
            ph_client.capture("page_viewed", distinct_id="carol@example.org")
        ph_client.capture("page_viewed", distinct_id="dave")

    await with_posthog(ph, work, sync_mode=True, on_error=lambda e, batch: errors.append(e))
    await drain(ph)
    assert errors == []
    assert requests_seen(ph, "/batch/", "200") == 4  # one request per event, none retried
    assert dropped(ph, "registry_denied") == 3
    assert [(r[0], r[1]) for r in events(store)] == [("page_viewed", install_of(ph, "dave"))]


async def test_consent_marker_narrows_a_require_marker_key(ph: TestClient, store: ClickHouseStore) -> None:
    def work(ph_client: Any) -> None:
        ph_client.capture("no_marker", distinct_id="erin")
        ph_client.capture("granted", distinct_id="erin", properties={"$consent": "analytics"})
        ph_client.capture("crash_only", distinct_id="erin", properties={"$consent": "crash"})
        ph_client.capture("gibberish", distinct_id="erin", properties={"$consent": "maybe later"})

    await with_posthog(ph, work, key="phc_marker", sync_mode=True)
    await drain(ph)
    assert [r[0] for r in events(store)] == ["granted"]
    assert "posthog.consent" not in events(store)[0][7]
    assert (dropped(ph, "marker_missing"), dropped(ph, "marker_denies"), dropped(ph, "marker_unknown")) == (1, 1, 1)


async def test_real_client_v1_gets_per_event_results(ph: TestClient, store: ClickHouseStore) -> None:
    errors: list[Any] = []
    ids: list[Any] = []

    def work(ph_client: Any) -> None:
        ids.append(ph_client.capture("v1_event", distinct_id="frank", properties={"n": 1}))
        ids.append(ph_client.set(distinct_id="frank", properties={"email": "frank@example.org"}))
        ph_client.flush()

    await with_posthog(ph, work, capture_mode="v1", capture_compression="gzip",
                       on_error=lambda e, batch: errors.append(e))
    await drain(ph)
    assert [(r[0], r[1]) for r in events(store)] == [("v1_event", install_of(ph, "frank"))]
    # The $set is answered "drop" (terminal: posthog-python reports it to on_error and does not resend it).
    assert [getattr(e, "drops", None) for e in errors] == [[(ids[1], "profile_event")]]
    assert requests_seen(ph, "/i/v1/analytics/events", "200") == 1


async def test_real_client_flags_are_empty(ph: TestClient, store: ClickHouseStore) -> None:
    seen: list[Any] = []

    def work(ph_client: Any) -> None:
        flags = ph_client.evaluate_flags("gina", person_properties={"email": "g@example.org"})
        seen.append(flags.get_flag("new-checkout"))

    await with_posthog(ph, work)
    assert seen == [None]
    assert requests_seen(ph, "/flags/", "200") == 1


async def test_unknown_and_revoked_keys_get_401(ph: TestClient) -> None:
    batch = {"api_key": "phc_nope", "batch": [{"event": "x", "distinct_id": "a", "properties": {}}]}
    for key in ("phc_nope", "phc_revoked", None):
        body = dict(batch, api_key=key) if key else {"batch": batch["batch"]}
        response = await ph.post("/batch/", json=body)
        assert response.status == 401, key
        assert (await response.json())["error"]["code"] == "unknown_ingest_key"
    # v1: the key is decided before the body is read, so even an unparseable body gets 401.
    response = await ph.post("/i/v1/analytics/events", data=b"{not json",
                             headers={"Authorization": "Bearer phc_nope", "Content-Type": "application/json"})
    assert response.status == 401
    response = await ph.post("/flags/?v=4", json={"api_key": "phc_nope", "distinct_id": "a"})
    assert response.status == 401


@pytest.mark.parametrize("path", ["/batch/", "/i/v1/analytics/events"])
async def test_gzip_bomb_is_413(ph: TestClient, store: ClickHouseStore, path: str) -> None:
    inner = b'{"api_key": "phc_test", "batch": [' + b" " * (64 << 20) + b"]}"
    bomb = gzip.compress(inner, 9)
    assert len(bomb) < 1 << 20
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "Authorization": "Bearer phc_test"}
    response = await ph.post(path, data=bomb, headers=headers)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "decompressed_too_large"


async def test_posthog_js_shapes(ph: TestClient, store: ClickHouseStore) -> None:
    """posthog-js: a list of events with the key in properties.token, gzip-js, base64 form bodies, deflate."""
    now = datetime.now(UTC)

    def event(name: str, **props: Any) -> dict[str, Any]:
        return {"event": name, "timestamp": now.isoformat(), "properties": {
            "token": "phc_test", "distinct_id": "hank", "$session_id": "0190e3f5-4b6a-7cc1-9f2b-1d2e3f4a5b6c",
            "$browser": "Firefox", "$device_type": "Desktop", **props}}
    body = json.dumps([event("$pageview", **{"$current_url": "https://x.example/a?email=hank@example.org"})])
    response = await ph.post("/e/?compression=gzip-js&ver=1.200.0", data=gzip.compress(body.encode()),
                             headers={"Content-Type": "text/plain"})
    assert (response.status, await response.json()) == (200, {"status": 1})
    form = {"data": base64.b64encode(json.dumps(event("$autocapture")).encode()).decode()}
    response = await ph.post("/i/v0/e/", data=form)
    assert response.status == 200
    mixed = [event("Old Event"), event("other_app", token="phc_marker")]  # the second names another key: dropped
    response = await ph.post("/capture/", data=zlib.compress(json.dumps(mixed).encode()),
                             headers={"Content-Type": "application/json", "Content-Encoding": "deflate"})
    assert response.status == 200
    response = await ph.post("/e/?compression=lz64", data=b"xyz", headers={"Content-Type": "text/plain"})
    assert response.status == 415
    await drain(ph)
    rows = events(store)
    assert [r[0] for r in rows] == ["old_event", "posthog.autocapture", "posthog.pageview"]
    assert rows[2][7]["posthog.current_url"] == "https://x.example/a?email=[secret]"
    assert rows[2][7]["posthog.browser"] == "Firefox"
    assert dropped(ph, "key_mismatch") == 1
    sessions = store.query(f"SELECT DISTINCT toString(session_id), device_type FROM {store.database}.events").rows
    assert sessions == [["0190e3f5-4b6a-7cc1-9f2b-1d2e3f4a5b6c", "Desktop"]]


async def test_out_of_window_events_are_dropped_not_the_batch(ph: TestClient, store: ClickHouseStore,
                                                             ph_settings: Settings) -> None:
    old = datetime.now(UTC) - timedelta(days=ph_settings.limits.max_event_age_days + 5)
    batch = [{"event": "fresh", "distinct_id": "ivan", "properties": {}},
             {"event": "stale", "distinct_id": "ivan", "timestamp": old.isoformat(), "properties": {}},
             {"event": "bad_time", "distinct_id": "ivan", "timestamp": "yesterday", "properties": {}},
             {"event": "Signup ivan@example.org", "distinct_id": "ivan", "properties": {}}]
    response = await ph.post("/batch/", json={"api_key": "phc_test", "batch": batch})
    assert response.status == 200
    await drain(ph)
    assert [r[0] for r in events(store)] == ["fresh"]
    assert (dropped(ph, "timestamp_out_of_range"), dropped(ph, "invalid_timestamp"),
            dropped(ph, "event_name")) == (1, 1, 1)


async def test_too_many_events_is_413(ph: TestClient, ph_settings: Settings) -> None:
    batch = [{"event": "e", "distinct_id": "j", "properties": {}}] * (ph_settings.limits.max_events_per_batch + 1)
    response = await ph.post("/batch/", json={"api_key": "phc_test", "batch": batch})
    assert response.status == 413


async def test_deleted_install_is_dropped_not_the_batch(ph: TestClient, store: ClickHouseStore) -> None:
    response = await ph.post("/v1/deletion-requests", json={"install_id": install_of(ph, "kim")})
    assert response.status == 202
    batch = [{"event": "kept", "distinct_id": "lee", "properties": {}},
             {"event": "gone", "distinct_id": "kim", "properties": {}},
             {"event": "$exception", "distinct_id": "kim", "properties": {"$exception_list": [{"type": "E"}]}}]
    response = await ph.post("/i/v1/analytics/events", json={"batch": [dict(e, uuid=str(uuid.uuid4()))
                                                                      for e in batch]},
                             headers={"Authorization": "Bearer phc_test"})
    assert response.status == 200
    results = [r["details"] if r["result"] == "drop" else "ok" for r in (await response.json())["results"].values()]
    assert results == ["ok", "consent_withdrawn", "consent_withdrawn"]  # an event, then a crash
    await drain(ph)
    assert [r[0] for r in events(store)] == ["kept"] and crashes(store) == []
    assert dropped(ph, "consent_withdrawn") == 2
