"""Issue 19: requests and dumps written by other projects (tests/fixtures/thirdparty/README.md) replayed against one
collector on 127.0.0.1 (real aiohttp server, real chDB, real object store), as a new user would meet them.

The bar: no 5xx; every request the project's own server accepts is accepted; the fields a dump says (OS, OS
version, CPU, exception) are stored; no per-install identifier (distinct ids, device ids, window ids, the
project token, user names in paths) in any stored column but the pseudonymous install id itself."""

from __future__ import annotations

import base64
import bz2
import gzip
import json
import lzma
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
import zstandard
from aiohttp.test_utils import TestClient, TestServer
from support import drain

from ingest.app import create_app
from ingest.frontdoors.posthog.mapping import PROFILE_EVENTS
from ingest.settings import Settings
from ingest.state import METRICS
from storage.clickhouse.client import ClickHouseStore

HERE = Path(__file__).parents[1] / "fixtures" / "thirdparty"
POSTHOG_TOKEN = "phc_qgUFp5wz2BjC4RsFjMGpQ3PGDrsi6Q0CG0CP4NAac0I"  # the key in PostHog's recorded requests
SENTRY_KEY = "thirdpartykey"
KEYS = {POSTHOG_TOKEN: {"app": "posthog-web", "scopes": ["telemetry", "crash_report"]},
        SENTRY_KEY: {"app": "sdk-replay", "scopes": ["telemetry", "crash_report"]}}
# Per-install identifiers in the captures: none may be stored outside the install_id / session_id columns.
POSTHOG_IDS = ("pWAkITyQ3CN7332UqQxnH6p3FV8VJd7pY647EdNkxWc", "018a981f-4b2d-78ae-947b-bedbaa02a0f4",
               "018a981f-4b2e-7bd3-bb30-661810fed65f", POSTHOG_TOKEN)
# dump -> (os, os_version, cpu, exception name): what the dump's own system info and exception stream say
# (rust-minidump's and sentry-native's descriptions of these files agree).
DUMPS = {
    "rust-minidump/test.dmp": ("windows", "5.1.2600", "x86", "EXCEPTION_ACCESS_VIOLATION"),
    "rust-minidump/invalid-parameter.dmp": ("windows", "10.0.17134", "amd64", "STATUS_INVALID_PARAMETER"),
    "rust-minidump/linux-mini.dmp": ("linux", "4.9.60", "amd64", "SIGSEGV"),
    "rust-minidump/pipeline-inlines-macos-segv.dmp": ("macos", "11.6.7", "amd64", "EXC_BAD_ACCESS"),
    "rust-minidump/simple-crashpad.dmp": ("macos", "10.15.7", "amd64", "DUMP_WITHOUT_CRASH"),
    "sentry-native/minidump.dmp": ("windows", "10.0.22621", "amd64", "EXCEPTION_ACCESS_VIOLATION"),
    # Breakpad's processor names 0x43506E78 "Uncaught NSException": a Crashpad iOS (simulator) dump
    "breakpad/minidump_crashpad_annotation.dmp": ("ios", "16.2.0", "amd64", "NSEXCEPTION_UNCAUGHT"),
    "breakpad/linux_inline.dmp": ("linux", "5.10.28", "amd64", "SIGILL"),
    "breakpad/tiny-exe-fastfail.dmp": ("windows", "10.0.19042", "amd64", "EXCEPTION_STACK_BUFFER_OVERRUN"),
    "breakpad/tiny-exe-with-cet-xsave-x86.dmp": ("windows", "10.0.22631", "x86", "DUMP_WITHOUT_CRASH"),  # no fault
    "symbolic/crash_linux.dmp": ("linux", "4.9.46", "amd64", "SIGSEGV"),
    "symbolic/crash_macos.dmp": ("macos", "10.12.6", "amd64", "EXC_BAD_ACCESS"),
}
# User names in the dumps' module paths (/Users/<name>/...) and the iOS simulator's device and app container
# ids (unique per install): never stored.
DUMP_USER_NAMES = ("ABeingessner", "/Users/ted/", "benhamilton", "jauer", "C7B1E81C-20E5-4B32-BF67-DDCC43DB665D",
                   "EEDE0197-5BF7-49A6-A1AB-589B1D839398")


@pytest.fixture
async def collector(make_settings: Any) -> AsyncIterator[tuple[TestClient, Settings]]:
    settings = make_settings(CONSENTRY_INGEST_KEYS=json.dumps(KEYS))
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, settings


def metric(client: TestClient, name: str, **labels: str) -> float:
    return client.server.app[METRICS].registry.get_sample_value(name, labels) or 0.0


def rows(store: ClickHouseStore, table: str, columns: str) -> list[dict[str, Any]]:
    result = store.query(f"SELECT {columns} FROM {store.database}.{table} FINAL")
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def stored_text(store: ClickHouseStore, table: str, *, but: tuple[str, ...]) -> str:
    """Every column of every row of `table` as text, except the columns `but` names."""
    columns = [c for c in store.query(f"SELECT * FROM {store.database}.{table} LIMIT 0").columns if c not in but]
    return repr(store.query(f"SELECT {', '.join(columns)} FROM {store.database}.{table}").rows)


# --- PostHog: posthog-js requests as PostHog recorded them ------------------------------------------------------

def posthog_requests() -> list[tuple[dict[str, Any], bytes]]:
    out = []
    for line in (HERE / "posthog-capture" / "requests_dump.jsonl").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            request = json.loads(line)
            out.append((request, base64.b64decode(request["body"])))
    return out


async def test_posthog_capture_requests(collector: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, _ = collector
    requests = posthog_requests()
    assert len(requests) == 14
    expected: dict[str, str] = {}  # uuid -> event name, as PostHog produced them
    for request, body in requests:
        headers = {"Content-Type": request["content_type"]}
        if request["content_encoding"]:
            headers["Content-Encoding"] = request["content_encoding"]
        response = await client.post(request["path"], data=body, headers=headers)
        # PostHog's capture accepted every one of them (each has its output events), so must this.
        assert (response.status, await response.json()) == (200, {"status": 1}), request["path"]
        expected.update((o["uuid"], json.loads(o["data"])["event"]) for o in request["output"])
    await drain(client)
    stored = rows(store, "events", "toString(event_id) AS id, name, ts, props_str, props_bool, redactions")
    kept = {uid for uid, name in expected.items() if name not in PROFILE_EVENTS}  # the rest: person profiles
    assert {row["id"] for row in stored} == kept and len(stored) == len(kept)  # 13, 14 resend 3 and 12: stored once
    now = datetime.now(UTC)
    assert all(abs((now - row["ts"].replace(tzinfo=UTC)).total_seconds()) < 3600 for row in stored)  # clock fixed
    urls = [row["props_str"][key] for row in stored for key in ("posthog.current_url", "posthog.pathname")
            if key in row["props_str"]]
    assert "http://localhost:8000/person/[id]#activeTab=events" in urls and "/person/[id]" in urls
    flags = [row["props_bool"]["posthog.feature_flag_response"] for row in stored
             if "posthog.feature_flag_response" in row["props_bool"]]
    assert flags and all(value is False for value in flags)  # a boolean stays a boolean
    text = stored_text(store, "events", but=("install_id", "session_id"))
    for identifier in POSTHOG_IDS:
        assert identifier not in text, identifier


async def test_posthog_recording_and_config(collector: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    """Session recordings are answered and dropped; every config answer turns recording off."""
    client, _ = collector
    snapshot = [{"event": "$snapshot", "properties": {
        "distinct_id": POSTHOG_IDS[1], "$session_id": "018a981f-4b2e-7bd3-bb30-6617bf488869", "token": POSTHOG_TOKEN,
        "$snapshot_data": {"type": 3, "data": {"source": 5, "text": "jane@example.org typed this"}}}}]
    response = await client.post("/s/?compression=gzip-js&ip=1&_=1694769305355&ver=1.78.5",
                                 data=gzip.compress(json.dumps(snapshot).encode()),
                                 headers={"Content-Type": "text/plain"})
    assert (response.status, await response.json()) == (200, {"status": 1})
    assert metric(client, "consentry_sdk_dropped_total", sdk="posthog", reason="session_recording") == 1
    decide = await client.post("/decide/?v=3", json={"token": POSTHOG_TOKEN, "distinct_id": POSTHOG_IDS[1]})
    config = await client.get(f"/array/{POSTHOG_TOKEN}/config")
    unknown = await client.get("/array/phc_unknown/config")
    assert (await decide.json())["sessionRecording"] is False and (await config.json())["sessionRecording"] is False
    assert unknown.status == 401
    engage = {"$set": {"email": "jane@example.org"}, "$token": POSTHOG_TOKEN, "$distinct_id": POSTHOG_IDS[0],
              "event": "$set", "properties": {"token": POSTHOG_TOKEN, "distinct_id": POSTHOG_IDS[0]}}
    response = await client.post("/engage/?ip=1", json=engage)  # older posthog-js sends profiles here
    assert (response.status, await response.json()) == (200, {"status": 1})
    assert metric(client, "consentry_sdk_dropped_total", sdk="posthog", reason="profile_event") == 1
    # posthog-ios's device properties: the user-chosen device name goes, one-bit answers stay booleans.
    batch = {"api_key": POSTHOG_TOKEN, "batch": [{
        "event": "Application Opened", "distinct_id": POSTHOG_IDS[1], "uuid": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat(), "properties": {
            "$device_name": "Jane's iPhone", "$lib": "posthog-ios", "has_email": True,
            "$feature_flag_response": False, "$os": "iOS", "$os_version": "17.5"}}]}
    response = await client.post("/batch/", json=batch)
    assert response.status == 200
    await drain(client)
    (row,) = rows(store, "events", "name, props_str, props_bool")
    assert row["name"] == "application_opened" and "Jane" not in repr(row)
    assert row["props_bool"] == {"has_email": True, "posthog.feature_flag_response": False}


# --- PostHog mobile SDKs: their own request snapshots ------------------------------------------------------------

MOBILE = ["posthog-android/batch-request", "posthog-android/flags-request", "posthog-android/session-replay-request",
          "posthog-ios/event-shapes-batch", "posthog-ios/feature-flags-request", "posthog-ios/session-replay-request"]
MOBILE_KEYS = {"_6SG-F7I1vCuZ-HdJL3VZQqjBlaSb1_20hDPwqMNnGI": {"app": "android-app", "scopes": ["telemetry",
                                                                                              "crash_report"]},
               "snapshot-project-token": {"app": "ios-app", "scopes": ["telemetry", "crash_report"]}}


def instantiate(value: Any, now: str) -> Any:
    """A snapshot's placeholders made concrete: `<uuid>` / `<uuid-v7>` a fresh UUID, `<iso8601-timestamp>` and
    every event `timestamp` now (the recorded 2023 one is outside the clock window); other values as recorded."""
    if isinstance(value, dict):
        return {k: now if k in ("timestamp", "sent_at") and isinstance(v, str) else instantiate(v, now)
                for k, v in value.items()}
    if isinstance(value, list):
        return [instantiate(v, now) for v in value]
    if value in ("<uuid>", "<uuid-v7>"):
        return str(uuid.uuid4())
    return now if value == "<iso8601-timestamp>" else value


@pytest.fixture
async def mobile(make_settings: Any) -> AsyncIterator[TestClient]:
    settings = make_settings(CONSENTRY_INGEST_KEYS=json.dumps(MOBILE_KEYS))
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client


async def test_posthog_mobile_snapshots(mobile: TestClient, store: ClickHouseStore) -> None:
    now = datetime.now(UTC).isoformat()
    sent: list[dict[str, Any]] = []
    for name in MOBILE:
        snapshot = json.loads((HERE / f"{name}.json").read_text())
        body = instantiate(snapshot["body"], now)
        url = snapshot.get("path") or snapshot["url"]["path"] + "".join(
            f"?{q['name']}={q['value']}" for q in snapshot["url"].get("query", []))
        headers = {k: v for k, v in snapshot["headers"].items()
                   if k.lower() in ("content-encoding", "content-type")}
        data = json.dumps(body).encode()
        if headers.get("Content-Encoding", headers.get("content-encoding")) == "gzip":
            data = gzip.compress(data)
        response = await mobile.post(url, data=data, headers=headers)
        assert response.status == 200, (name, await response.text())
        answer = await response.json()
        if "flags" in name:
            assert answer["sessionRecording"] is False
        if isinstance(body, dict) and "batch" in body:
            sent += body["batch"]
    assert metric(mobile, "consentry_sdk_dropped_total", sdk="posthog", reason="session_recording") == 2
    await drain(mobile)
    events = rows(store, "events", "name, props_str, props_num, props_bool")
    crashes = rows(store, "crashes", "exception_type, frames")
    kept = [e for e in sent if e["event"] not in PROFILE_EVENTS and e["event"] != "$exception"]
    assert len(events) == len(kept) and len(crashes) == 2  # one $exception from each SDK
    assert {c["exception_type"] for c in crashes} >= {"IllegalStateException"}
    for row in events:  # the user-chosen device name ("Jane's iPhone"), on every event
        assert all(value == "[removed]" for key, value in row["props_str"].items() if "device_name" in key)
    android = next(r for r in events if r["name"] == "checkout_completed")
    assert android["props_str"]["items"] == '[{"sku":"sku-1","quantity":2}]'  # a list of objects, as JSON text
    assert android["props_str"]["posthog.device_name"] == "[removed]"
    text = stored_text(store, "events", but=("install_id", "session_id"))
    for value in ("snapshot-device", "anonymous-user", "identified-user", "anonymous-123", "user-123",
                  "_6SG-F7I1vCuZ-HdJL3VZQqjBlaSb1_20hDPwqMNnGI"):
        assert value not in text, value


# --- Sentry: SDK events as GlitchTip received them ---------------------------------------------------------------

def glitchtip_events() -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    out = {}
    for path in sorted((HERE / "glitchtip").glob("*.json")):
        value = json.loads(path.read_text())
        if isinstance(value, dict):
            out[path.stem] = {**value, "timestamp": now}  # years old: re-dated (README)
    return out


async def test_sentry_store_and_tunnelled_envelope(collector: tuple[TestClient, Settings],
                                                  store: ClickHouseStore) -> None:
    client, _ = collector
    events = glitchtip_events()
    assert len(events) == 17
    for name, event in events.items():
        sdk = (event.get("sdk") or {}).get("name", "unknown")
        response = await client.post("/api/1/store/", data=json.dumps(event).encode(), headers={
            "X-Sentry-Auth": f"Sentry sentry_key={SENTRY_KEY}, sentry_version=7, sentry_client={sdk}",
            "Content-Type": "application/json"})
        assert response.status == 200, (name, await response.text())
        assert (await response.json())["id"] == event["event_id"]
    # sentry-android's envelope (GlitchTip keeps it as a JSON array of lines), sent the way a tunnel forwards it:
    # no auth header, the DSN in the envelope header; its session item is SDK bookkeeping.
    header, *parts = json.loads((HERE / "glitchtip" / "android_sdk_envelope.json").read_text())
    lines = [json.dumps({**header, "dsn": f"https://{SENTRY_KEY}@o1.ingest.example/1"}).encode()]
    for item_header, payload in zip(parts[::2], parts[1::2], strict=True):
        if item_header["type"] == "event":
            payload = {**payload, "timestamp": datetime.now(UTC).isoformat()}
        data = json.dumps(payload).encode()
        lines += [json.dumps({**item_header, "length": len(data)}).encode(), data]
    response = await client.post("/api/1/envelope/", data=b"\n".join(lines) + b"\n",
                                 headers={"Content-Type": "application/x-sentry-envelope"})
    assert (response.status, await response.json()) == (200, {"id": header["event_id"]})
    await drain(client)
    crashes = {str(row["crash_id"]).replace("-", ""): row for row in rows(
        store, "crashes", "crash_id, exception_type, frames, redactions, os, app_version")}
    assert set(crashes) == {e["event_id"] for e in events.values()} | {header["event_id"]}
    dotnet = crashes[events["dotnet_error"]["event_id"]]
    assert dotnet["exception_type"] == "System.NullReferenceException"
    modules = [frame["module"] for frame in dotnet["frames"]]
    assert "Microsoft.AspNetCore.Diagnostics.DeveloperExceptionPageMiddleware" in modules
    for row in crashes.values():
        assert "ip.v4" not in row["redactions"], row["exception_type"]  # no version was read as an address
    text = stored_text(store, "crashes", but=("install_id",))
    assert "test@example.com" not in text


SENTRY_JAVA = {  # envelope -> (what a real server keeps: crashes, transactions)
    "envelope-event-attachment": (1, 0),  # event item cut off mid-JSON: dropped; its event.minidump makes the crash
    "envelope-feedback": (0, 0),  # user_report: a name and an e-mail, never kept
    "envelope-session-start": (0, 0), "envelope_session_sdkversion": (0, 0),  # SDK bookkeeping
    "envelope-transaction": (0, 0),  # 2020: outside the clock window, dropped
    "envelope_attachment": (0, 0),  # an attachment without an event
}


async def test_sentry_java_envelopes(collector: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    """sentry-java's own envelope fixtures, byte for byte, and its full serialised event through store."""
    client, _ = collector
    for name in SENTRY_JAVA:
        body = (HERE / "sentry-java" / f"{name}.txt").read_bytes()
        response = await client.post("/api/1/envelope/", data=body, headers={
            "X-Sentry-Auth": f"Sentry sentry_key={SENTRY_KEY}, sentry_version=7, sentry_client=sentry.java/8.0.0",
            "Content-Type": "application/x-sentry-envelope"})
        assert response.status == 200, (name, await response.text())
    assert metric(client, "consentry_sdk_dropped_total", sdk="sentry", reason="malformed_item") == 1
    event = json.loads((HERE / "sentry-java" / "sentry_event.json").read_text())
    event["timestamp"] = datetime.now(UTC).isoformat()  # 1942: re-dated
    response = await client.post(f"/api/1/store/?sentry_key={SENTRY_KEY}", json=event)
    assert (response.status, await response.json()) == (200, {"id": event["event_id"]})
    await drain(client)
    crashes = rows(store, "crashes", "toString(crash_id) AS id, exception_type, minidump_parsed, attachment_keys")
    assert len(crashes) == sum(c for c, _ in SENTRY_JAVA.values()) + 1
    cut = next(row for row in crashes if row["id"].replace("-", "") == "9ec79c33ec9942ab8353589fcb2e04dc")
    assert cut["exception_type"] == "NativeCrash" and not cut["minidump_parsed"] and len(cut["attachment_keys"]) == 1
    text = stored_text(store, "crashes", but=("install_id",)) + stored_text(store, "events", but=("install_id",))
    personal = [*event["user"].values(), event["contexts"]["device"]["name"], event["server_name"], "a@b.com",
                "jonas"]
    for value in personal:
        if isinstance(value, str):
            assert value not in text, value


async def test_browser_security_reports_are_answered_and_dropped(collector: tuple[TestClient, Settings],
                                                                store: ClickHouseStore) -> None:
    """A browser's CSP report (the W3C `csp-report` shape) carries the page the user was on: answered 200 (the
    browser would resend otherwise), stored nowhere, counted."""
    client, _ = collector
    report = {"csp-report": {"document-uri": "https://shop.example/account/orders/948213", "referrer": "",
                             "blocked-uri": "https://cdn.example/x.css", "violated-directive": "style-src-elem",
                             "original-policy": "default-src 'self'; report-uri /api/1/security/"}}
    response = await client.post(f"/api/1/security/?sentry_key={SENTRY_KEY}", json=report,
                                 headers={"Content-Type": "application/csp-report"})
    assert response.status == 200
    assert (await client.post("/api/1/security/?sentry_key=nope", json=report)).status == 401
    assert metric(client, "consentry_sdk_dropped_total", sdk="sentry", reason="security_report") == 1
    await drain(client)
    assert rows(store, "crashes", "crash_id") == [] and rows(store, "events", "event_id") == []


# --- Minidumps: every crash path derives what the dump says ------------------------------------------------------

def dump_form(dump: bytes, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("upload_file_minidump", dump, filename="upload.dmp", content_type="application/octet-stream")
    return form


async def test_minidumps_on_every_crash_path(collector: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, _ = collector
    sent: dict[str, str] = {}  # crash id -> dump
    for name in DUMPS:
        dump = (HERE / name).read_bytes()
        response = await client.post(f"/api/1/minidump/?sentry_key={SENTRY_KEY}", data=dump_form(dump))
        assert response.status == 200, await response.text()
        sent[str(uuid.UUID(await response.text()))] = name
        crash_id = str(uuid.uuid4())
        crashpad = dump_form(dump, guid=str(uuid.uuid4()), consent_crash_report="granted", prod="replay",
                             consentry_crash_id=crash_id)
        response = await client.post("/v1/crashes", data=crashpad)
        assert (response.status, await response.text()) == (200, crash_id)
        sent[crash_id] = name
    await drain(client)
    stored = rows(store, "crashes", "toString(crash_id) AS id, source, os, os_version, dump_cpu_arch, "
                                    "exception_type, dump_exception_name, dump_modules, minidump_parsed")
    assert len(stored) == 2 * len(DUMPS)
    by_source = {"sentry": 0, "crashpad": 0}
    for row in stored:
        by_source[row["source"]] += 1
        assert row["minidump_parsed"]
        os_name, os_version, cpu, exception = DUMPS[sent[row["id"]]]
        assert (row["os"], row["os_version"], row["dump_cpu_arch"]) == (os_name, os_version, cpu)
        assert row["exception_type"] == row["dump_exception_name"] == exception
    assert by_source == {"sentry": len(DUMPS), "crashpad": len(DUMPS)}
    text = stored_text(store, "crashes", but=("install_id",))
    for user in DUMP_USER_NAMES:
        assert user not in text, user


async def test_sentry_native_crashpad_upload_with_its_packed_event(collector: tuple[TestClient, Settings],
                                                                   store: ClickHouseStore) -> None:
    """What sentry-native's Crashpad backend uploads: the dump, the event as a MessagePack `__sentry-event` file
    part and breadcrumbs as `__sentry-breadcrumb1/2` (the event is built here in that format: the capture holds
    the dump only)."""
    client, _ = collector
    event = {"event_id": uuid.uuid4().hex, "release": "sentry-native-example@0.7.17", "level": "fatal",
             "platform": "native", "user": {"id": "install-7", "username": "jane"},
             "contexts": {"device": {"name": "JANE-PC", "family": "Desktop"}}, "tags": {"consent": "crash"}}
    form = dump_form((HERE / "sentry-native" / "minidump.dmp").read_bytes())
    form.add_field("__sentry-event", msgspec.msgpack.encode(event), filename="__sentry-event")
    form.add_field("__sentry-breadcrumb1", msgspec.msgpack.encode({"message": "opened C:/Users/jane/x.txt"}),
                   filename="__sentry-breadcrumb1")
    response = await client.post(f"/api/1/minidump/?sentry_key={SENTRY_KEY}", data=form)
    assert (response.status, await response.text()) == (200, str(uuid.UUID(event["event_id"])))
    assert metric(client, "consentry_sdk_dropped_total", sdk="sentry", reason="native_breadcrumbs") == 1
    await drain(client)
    (row,) = rows(store, "crashes", "app_version, os, os_version, exception_type, attachment_keys, extra")
    assert (row["app_version"], row["os"], row["os_version"]) == ("0.7.17", "windows", "10.0.22621")
    assert row["exception_type"] == "EXCEPTION_ACCESS_VIOLATION" and row["attachment_keys"] == []
    assert row["extra"]["device.family"] == "Desktop"
    text = stored_text(store, "crashes", but=("install_id",))
    assert "JANE-PC" not in text and "jane" not in text



async def test_compressed_minidump_uploads(collector: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    """Relay takes a gzip / bzip2 / xz / zstd-compressed minidump part; so does every crash path here."""
    client, _ = collector
    dump = (HERE / "symbolic" / "crash_macos.dmp").read_bytes()
    packs = [gzip.compress, bz2.compress, lzma.compress, zstandard.ZstdCompressor().compress]
    for pack in packs:
        response = await client.post(f"/api/1/minidump/?sentry_key={SENTRY_KEY}", data=dump_form(pack(dump)))
        assert response.status == 200, await response.text()
    await drain(client)
    stored = rows(store, "crashes", "minidump_parsed, os, os_version, exception_type, minidump_size")
    assert len(stored) == len(packs)
    for row in stored:  # the dump is stored decompressed, so it can be read back and symbolicated
        assert (row["minidump_parsed"], row["os"], row["os_version"], row["exception_type"], row["minidump_size"]) \
            == (True, "macos", "10.12.6", "EXC_BAD_ACCESS", len(dump))
