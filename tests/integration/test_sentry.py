"""The Sentry front door end to end: the captured sentry-sdk 2.75.0 requests replayed, and the real `sentry_sdk`
driven against a live collector on 127.0.0.1 (real chDB, real object store)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
import sentry_sdk
from aiohttp.test_utils import TestClient, TestServer
from support import drain

from ingest.app import create_app
from ingest.settings import Settings
from ingest.state import INTAKE, METRICS
from ingest.stores import open_objects
from storage.clickhouse.client import ClickHouseStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdk" / "sentry"  # recordings of the real SDK's requests
DUMPS = Path(__file__).parents[1] / "fixtures" / "minidumps"
KEY = "publickey"  # the DSN key in the fixtures' X-Sentry-Auth
KEYS = {
    KEY: {"app": "myapp", "scopes": ["telemetry", "crash_report"]},
    "k_telemetry_only": {"app": "myapp", "scopes": ["telemetry"]},
    "k_no_transactions": {"app": "myapp", "scopes": ["telemetry", "crash_report"], "transactions": "drop"},
    "k_revoked": {"app": "myapp", "scopes": ["crash_report"], "revoked": True},
}
ENVELOPE = "/api/{project}/envelope/"


@pytest.fixture
async def sentry(make_settings: Any) -> AsyncIterator[tuple[TestClient, Settings]]:
    settings = make_settings(CONSENTRY_INGEST_KEYS=json.dumps(KEYS))
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, settings


# -- helpers -------------------------------------------------------------------------------------------------

def fixture(name: str) -> tuple[str, dict[str, str], bytes]:
    meta = json.loads((FIXTURES / f"{name}.request.json").read_text())
    body = (FIXTURES / meta["body_file"]).read_bytes()
    headers = {k: v for k, v in meta["headers"] if k.lower() not in ("host", "content-length")}
    return meta["path"] + (("?" + meta["query"]) if meta["query"] else ""), headers, body


def decoded(name: str) -> bytes:
    meta = json.loads((FIXTURES / f"{name}.request.json").read_text())
    return (FIXTURES / (meta.get("decoded_file") or meta["body_file"])).read_bytes()


def split(envelope: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """A test-side reader (every fixture item has `length`), to edit a fixture and frame it again."""
    head, _, rest = envelope.partition(b"\n")
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        header = json.loads(line)
        items.append((header, rest[:header["length"]]))
        rest = rest[header["length"] + 1:]
    return json.loads(head), items


def frame(header: dict[str, Any], items: list[tuple[dict[str, Any], bytes]]) -> bytes:
    out = [json.dumps(header).encode()]
    for item_header, payload in items:
        out += [json.dumps({**item_header, "length": len(payload)}).encode(), payload]
    return b"\n".join(out) + b"\n"


def edited(name: str, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The fixture's envelope with its event / transaction JSON edited, gzip-compressed as the SDK sends it."""
    header, items = split(decoded(name))
    out = []
    for item_header, payload in items:
        if item_header["type"] in ("event", "transaction"):
            event = json.loads(payload)
            edit(event)
            payload = json.dumps(event).encode()
        out.append((item_header, payload))
    return gzip.compress(frame(header, out))


def drop_markers(event: dict[str, Any]) -> None:
    event.get("tags", {}).pop("consent", None)
    event.get("contexts", {}).pop("consent", None)


def auth(key: str = KEY) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.75.0",
            "Content-Type": "application/x-sentry-envelope"}


def sample(client: TestClient, name: str, **labels: str) -> float:
    value = client.server.app[METRICS].registry.get_sample_value(name, labels)
    return value or 0.0


def dropped(client: TestClient, reason: str) -> float:
    return sample(client, "consentry_sdk_dropped_total", sdk="sentry", reason=reason)


def crashes(store: ClickHouseStore, columns: str = "*") -> list[dict[str, Any]]:
    result = store.query(f"SELECT {columns} FROM {store.database}.crashes FINAL ORDER BY received_at")
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def events(store: ClickHouseStore) -> list[dict[str, Any]]:
    result = store.query(f"SELECT * FROM {store.database}.events FINAL")
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def objects(settings: Settings) -> dict[str, bytes]:
    handle = open_objects(settings)
    try:
        return {o.key: handle.get(o.key) for o in handle.list("crashes/")}
    finally:
        handle.close()


def everything(store: ClickHouseStore, settings: Settings) -> str:
    """Every column of every crash and event row, and every stored object, as one text to search."""
    parts = [repr(crashes(store)), repr(events(store))]
    parts += [key + "\n" + data.decode("utf-8", "replace") for key, data in objects(settings).items()]
    return "\n".join(parts)


async def settle(client: TestClient) -> None:
    await drain(client)


# -- fixture replay ------------------------------------------------------------------------------------------

# What each captured request becomes. 01-05 carry two consent markers that disagree (tag "analytics" grants
# telemetry only, context {"scopes": ["crash"]} grants crash_report only): each marker must grant, so both the
# errors and the transaction are dropped (fail closed) with reason marker_denies.
REPLAY = {
    "01-message-default-gzip": ("dropped", "marker_denies"),
    "02-exception-default-gzip": ("dropped", "marker_denies"),
    "03-transaction-default-gzip": ("dropped", "marker_denies"),
    "04-message-pii-true-uncompressed": ("dropped", "marker_denies"),
    "05-exception-pii-true-uncompressed": ("dropped", "marker_denies"),
    "06-message-with-attachment": ("crash", "message.info"),
    "07-minidump-handcrafted-envelope": ("crash", "DUMP_WITHOUT_CRASH"),  # its dump has no exception stream
    "08-message-answered-429": ("crash", "message.info"),
    "09-client-report-answered-429": ("counted", "client_report"),
    "10-message-brotli-default": ("crash", "message.info"),
}


@pytest.mark.parametrize("name", sorted(REPLAY))
async def test_fixture_replay(sentry: tuple[TestClient, Settings], store: ClickHouseStore, name: str) -> None:
    client, settings = sentry
    path, headers, body = fixture(name)
    response = await client.post(path, data=body, headers=headers)
    assert response.status == 200, await response.text()
    envelope_header, items = split(decoded(name))
    answer = await response.json()
    assert answer == ({"id": envelope_header["event_id"]} if "event_id" in envelope_header else {})
    await settle(client)
    outcome, detail = REPLAY[name]
    for item_header, _ in items:
        assert sample(client, "consentry_sdk_items_total", sdk="sentry", type=item_header["type"]) >= 1
    if outcome != "crash":
        assert crashes(store) == [] and events(store) == [] and objects(settings) == {}
        if outcome == "dropped":
            assert dropped(client, detail) == len(items)
        return
    rows = crashes(store)
    assert len(rows) == 1
    row = rows[0]
    assert row["source"] == "sentry" and row["exception_type"] == detail and row["app"] == "myapp"
    assert str(row["crash_id"]).replace("-", "") == envelope_header["event_id"]
    text = everything(store, settings)
    assert "example-host" not in text  # server_name
    if name.startswith("06"):
        (key, data), = objects(settings).items()
        assert row["attachment_keys"] == [key] and key.endswith("attachment-0.txt")
        assert b"alice@example.com" not in data and b"hunter2" not in data and data.startswith(b"line1 ")
        assert row["exception_message"] == "event with attachment"
    if name.startswith("07"):
        (key, data), = objects(settings).items()
        assert row["minidump_key"] == key and len(data) == 64 and data.startswith(b"MDMP")
        assert row["exception_message"] == "native crash (minidump)" and row["extra"]["sentry.level"] == "fatal"


async def test_exception_fixture_is_mapped_and_redacted(sentry: tuple[TestClient, Settings],
                                                        store: ClickHouseStore) -> None:
    """02 without its conflicting markers: every personal value of wire.md §1.5 is gone, the stack is kept."""
    client, settings = sentry
    response = await client.post("/api/42/envelope/", data=edited("02-exception-default-gzip", drop_markers),
                                 headers=auth() | {"Content-Encoding": "gzip"})
    assert response.status == 200
    await settle(client)
    (row,) = crashes(store)
    assert row["exception_type"] == "ValueError"
    assert row["exception_message"] == "invalid literal for int() with base 10: 'many'"
    frames = [(f["module"], f["function"], f["file"], f["line"], f["in_app"]) for f in row["frames"]]
    assert frames == [("app", "parse_order", "~/project/app.py", 6, True),
                      ("app", "checkout", "~/project/app.py", 13, True),
                      ("__main__", "common_payload", "~/project/drive_sentry.py", 24, False)]
    registry = client.server.app[INTAKE].registry
    assert str(row["install_id"]) == str(registry.install_id("u-123"))
    assert row["app_version"] == "1.0.0" and row["breadcrumbs"] == ["auth"]
    assert row["extra"] == {"runtime.name": "CPython", "runtime.version": "3.11.7", "sentry.level": "error"}
    found = row["redactions"]
    for what in ("vars", "source", "server_name", "user", "extra", "tags", "breadcrumbs", "modules"):
        assert found[f"sentry.drop.{what}"] >= 1, what
    text = everything(store, settings)
    for planted in ("alice", "Alice", "example-host", "u-123", "tok_live", "4242", "203.0.113.7", "Example Road",
                    "sys.argv", "customer_email", "plan", "support_ticket"):
        assert planted not in text, planted


async def test_transaction_fixture_becomes_one_event(sentry: tuple[TestClient, Settings],
                                                     store: ClickHouseStore) -> None:
    client, settings = sentry
    response = await client.post("/api/42/envelope/", data=edited("03-transaction-default-gzip", drop_markers),
                                 headers=auth() | {"Content-Encoding": "gzip"})
    assert response.status == 200
    await settle(client)
    (row,) = events(store)
    assert row["name"] == "sentry.transaction" and row["app"] == "myapp"
    assert row["props_str"]["transaction"] == "checkout-job"
    assert 10 <= row["props_num"]["duration_ms"] <= 20 and row["props_num"]["span_count"] == 1
    assert str(row["install_id"]) == str(client.server.app[INTAKE].registry.install_id("u-123"))
    text = everything(store, settings)
    for planted in ("alice", "SELECT", "orders", "example-host", "u-123", "Alice"):
        assert planted not in text, planted
    assert crashes(store) == []


async def test_key_without_transactions_drops_them(sentry: tuple[TestClient, Settings],
                                                   store: ClickHouseStore) -> None:
    client, _ = sentry
    response = await client.post("/api/42/envelope/", data=edited("03-transaction-default-gzip", drop_markers),
                                 headers=auth("k_no_transactions") | {"Content-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["X-Sentry-Rate-Limits"] == "86400:transaction;span:project:transactions_off"
    await settle(client)
    assert events(store) == [] and dropped(client, "transactions_off") == 1


async def test_key_without_crash_scope_drops_and_stops_the_category(sentry: tuple[TestClient, Settings],
                                                                    store: ClickHouseStore) -> None:
    client, settings = sentry
    path, headers, body = fixture("06-message-with-attachment")
    headers = headers | auth("k_telemetry_only")
    response = await client.post(path, data=body, headers=headers)
    assert response.status == 200
    assert response.headers["X-Sentry-Rate-Limits"] == "86400:error;default;attachment:project:consent"
    await settle(client)
    assert crashes(store) == [] and objects(settings) == {}
    assert dropped(client, "key_scope") == 2  # the event and its attachment


@pytest.mark.parametrize("key", ["nope", "k_revoked", None])
async def test_unknown_key_is_refused_before_the_body_is_read(sentry: tuple[TestClient, Settings],
                                                              store: ClickHouseStore, key: str | None) -> None:
    client, _ = sentry
    headers = auth(key) if key else {"Content-Type": "application/x-sentry-envelope"}
    # Not even valid gzip: a key decision that read the body would answer 400 malformed_encoding instead.
    response = await client.post("/api/42/envelope/", data=b"\x1f\x8b not gzip",
                                 headers=headers | {"Content-Encoding": "gzip"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unknown_ingest_key"
    await settle(client)
    assert crashes(store) == []


async def test_query_string_key_and_path_prefix(sentry: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, _ = sentry
    event = {"event_id": uuid.uuid4().hex, "message": "hello", "level": "warning"}
    body = frame({"event_id": event["event_id"]}, [({"type": "event"}, json.dumps(event).encode())])
    response = await client.post(f"/consentry/sentry/api/7/envelope/?sentry_key={KEY}", data=body)
    assert response.status == 200 and (await response.json()) == {"id": event["event_id"]}
    await settle(client)
    assert [r["exception_type"] for r in crashes(store)] == ["message.warning"]


async def test_gzip_bomb_is_refused(sentry: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, settings = sentry
    bomb = gzip.compress(b"\0" * (settings.crash_limits.max_upload_bytes + (1 << 20)), compresslevel=9)
    assert len(bomb) < 1 << 20
    response = await client.post("/api/42/envelope/", data=bomb, headers=auth() | {"Content-Encoding": "gzip"})
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "decompressed_too_large"
    await settle(client)
    assert crashes(store) == []


async def test_oversize_body_is_refused(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_INGEST_KEYS=json.dumps(KEYS), CONSENTRY_CRASH_LIMITS_MAX_UPLOAD_BYTES="1000")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        response = await client.post("/api/42/envelope/", data=b"{}\n" + b"x" * 2000, headers=auth())
        assert response.status == 413 and (await response.json())["error"]["code"] == "body_too_large"


@pytest.mark.parametrize("body", [b"not json\n", b"[]\n", b'{}\n{"type":"event","length":99}\n{}\n'])
async def test_malformed_envelope(sentry: tuple[TestClient, Settings], body: bytes) -> None:
    client, _ = sentry
    response = await client.post("/api/42/envelope/", data=body, headers=auth())
    assert response.status == 400 and (await response.json())["error"]["code"] == "malformed_body"


@pytest.mark.parametrize("bad", [b"[1]", b'{"event_id": "0b6d3f5e8f5a4c1e9d436f1f0f2a7c11", "message": "cut o'])
async def test_a_bad_event_item_drops_that_item_only(sentry: tuple[TestClient, Settings], store: ClickHouseStore,
                                                     bad: bytes) -> None:
    """As Relay does: the envelope's other items go through, the bad event is counted `malformed_item`."""
    client, _ = sentry
    transaction = {"type": "transaction", "event_id": uuid.uuid4().hex, "transaction": "/checkout",
                   "start_timestamp": time.time() - 1, "timestamp": time.time(), "contexts": {"trace": {"op": "http"}}}
    body = frame({"event_id": "0b6d3f5e8f5a4c1e9d436f1f0f2a7c11"},
                 [({"type": "event"}, bad), ({"type": "transaction"}, json.dumps(transaction).encode())])
    response = await client.post("/api/42/envelope/", data=body, headers=auth())
    assert response.status == 200 and (await response.json()) == {"id": "0b6d3f5e8f5a4c1e9d436f1f0f2a7c11"}
    assert dropped(client, "malformed_item") == 1
    await settle(client)
    assert crashes(store) == [] and [e["name"] for e in events(store)] == ["sentry.transaction"]


async def test_unknown_items_are_skipped_and_counted(sentry: tuple[TestClient, Settings],
                                                     store: ClickHouseStore) -> None:
    client, _ = sentry
    event = {"event_id": uuid.uuid4().hex, "message": "kept", "level": "error"}
    body = frame({}, [({"type": "log"}, b'{"items": [{"body": "alice@example.com"}]}'),
                      ({"type": "brand_new_type"}, b"\x00\x01"), ({"type": "event"}, json.dumps(event).encode()),
                      ({"type": "session"}, b'{"sid": "x"}')])
    response = await client.post("/api/42/envelope/", data=body, headers=auth())
    assert response.status == 200
    assert dropped(client, "unknown_item") == 2
    assert sample(client, "consentry_sdk_items_total", sdk="sentry", type="other") == 1
    assert sample(client, "consentry_sdk_items_total", sdk="sentry", type="session") == 1
    await settle(client)
    assert len(crashes(store)) == 1


async def test_rate_limited_answers_sentry_headers(make_settings: Any) -> None:
    settings = make_settings(CONSENTRY_INGEST_KEYS=json.dumps(KEYS), CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS="0.01",
                             CONSENTRY_RATE_LIMIT_PER_CLIENT_BURST="1")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        body = frame({}, [({"type": "client_report"}, b"{}")])
        assert (await client.post("/api/42/envelope/", data=body, headers=auth())).status == 200
        response = await client.post("/api/42/envelope/", data=body, headers=auth())
        assert response.status == 429
        retry = int(response.headers["Retry-After"])
        assert retry >= 1 and response.headers["X-Sentry-Rate-Limits"] == f"{retry}::key:rate_limited"
        assert sample(client, "consentry_refusals_total", code="rate_limited") == 1


async def test_minidump_endpoint(sentry: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, settings = sentry
    dump = (DUMPS / "windows_amd64.dmp").read_bytes()
    form = aiohttp.FormData()
    form.add_field("upload_file_minidump", dump, filename="C:\\Users\\Bob Smith\\crash.dmp",
                   content_type="application/octet-stream")
    form.add_field("sentry", json.dumps({"release": "editor@2.4.1", "user": {"id": "u-dump", "email": "b@x.io"},
                                         "server_name": "bobs-pc"}))
    form.add_field("sentry[tags][consent]", "crash")
    form.add_field("log", b"opened C:\\Users\\Bob Smith\\x.txt\n", filename="log.txt", content_type="text/plain")
    response = await client.post(f"/api/3/minidump/?sentry_key={KEY}", data=form)
    assert response.status == 200, await response.text()
    crash_id = uuid.UUID(await response.text())
    await settle(client)
    (row,) = crashes(store)
    assert row["crash_id"] == crash_id and row["source"] == "sentry"
    assert row["exception_type"] == "EXCEPTION_ACCESS_VIOLATION" and row["minidump_parsed"] is True
    assert row["app_version"] == "2.4.1"
    assert str(row["install_id"]) == str(client.server.app[INTAKE].registry.install_id("u-dump"))
    stored = objects(settings)
    assert stored[row["minidump_key"]] == dump and len(row["attachment_keys"]) == 1
    text = everything(store, settings).replace(dump.decode("utf-8", "replace"), "")
    for planted in ("Bob", "b@x.io", "bobs-pc", "u-dump"):
        assert planted not in text, planted


async def test_minidump_endpoint_honours_markers(sentry: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, settings = sentry
    form = aiohttp.FormData()
    form.add_field("upload_file_minidump", b"MDMP", filename="x.dmp", content_type="application/octet-stream")
    form.add_field("sentry[tags][consent]", "analytics")
    response = await client.post(f"/api/3/minidump/?sentry_key={KEY}", data=form)
    assert response.status == 200
    await settle(client)
    assert crashes(store) == [] and objects(settings) == {} and dropped(client, "marker_denies") == 1


@pytest.mark.parametrize("consent", ["crash", "analytics"])
async def test_a_big_minidump_is_staged_as_it_arrives(sentry: tuple[TestClient, Settings], store: ClickHouseStore,
                                                      consent: str) -> None:
    """Past the 1 MiB staging buffer the dump is written to the store's directory while it is read: stored byte
    for byte when kept, and no file left behind when the upload is dropped."""
    client, settings = sentry
    dump = (DUMPS / "windows_amd64.dmp").read_bytes() + bytes(range(256)) * (3 << 12)
    form = aiohttp.FormData()
    form.add_field("upload_file_minidump", io.BytesIO(dump), filename="c.dmp", content_type="application/octet-stream")
    form.add_field("sentry[tags][consent]", consent)
    response = await client.post(f"/api/3/minidump/?sentry_key={KEY}", data=form)
    assert response.status == 200, await response.text()
    await settle(client)
    if consent == "crash":
        (row,) = crashes(store)
        assert objects(settings)[row["minidump_key"]] == dump and row["minidump_parsed"] is True
    else:
        assert crashes(store) == [] and objects(settings) == {}
    assert list(settings.data_path.glob("objects/~tmp-*")) == []


# -- the real sentry_sdk -------------------------------------------------------------------------------------

PLANTED_EMAIL = "carol.planted@example.org"
PLANTED_TOKEN = "tok_live_9f8e7d6c5b4a3210"
PLANTED_HOME = "/home/carolq/private/plans.txt"
PLANTED_HOST = "buildhost-planted-7731"
PLANTED_USER = "user-planted-42"


def planted_failure(order: str) -> None:
    customer_email = PLANTED_EMAIL  # noqa: F841 - a local the SDK sends in frame vars
    api_token = PLANTED_TOKEN  # noqa: F841
    notes_path = PLANTED_HOME
    raise ValueError(f"cannot read {notes_path} for order {order}")


def checkout(order: str) -> None:
    planted_failure(order)


def _sentry_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "sentry" in t.name.lower()]


@contextlib.contextmanager
def sdk(client: TestClient, key: str = KEY, **options: Any) -> Iterator[None]:
    """sentry_sdk initialised against the live server; closed (and its worker thread gone) afterwards. Default
    integrations are off so the SDK patches nothing in the test process (logging, threading, http.client)."""
    dsn = f"http://{key}@127.0.0.1:{client.server.port}/42"
    sentry_sdk.init(dsn=dsn, default_integrations=False, auto_enabling_integrations=False,
                    server_name=PLANTED_HOST, release="myapp@2.0.1", **options)
    try:
        yield
        sentry_sdk.flush(timeout=10)
    finally:
        sentry_sdk.get_client().close(timeout=10)
        sentry_sdk.get_global_scope().set_client(None)
        deadline = time.monotonic() + 5
        while _sentry_threads() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _sentry_threads()


async def in_thread(client: TestClient, scenario: Callable[[], None], **options: Any) -> None:
    """The blocking SDK (urllib3) runs in a thread so the server's loop keeps serving it."""
    def run() -> None:
        with sdk(client, **options), sentry_sdk.isolation_scope():
            scenario()

    await asyncio.to_thread(run)


def capture_planted() -> None:
    sentry_sdk.set_user({"id": PLANTED_USER, "email": PLANTED_EMAIL, "username": "carolq",
                         "ip_address": "198.51.100.23"})
    sentry_sdk.set_tag("plan", "enterprise-carolq")
    sentry_sdk.set_extra("support_note", f"call {PLANTED_EMAIL}")
    sentry_sdk.add_breadcrumb(category="auth", message=f"login {PLANTED_EMAIL}", data={"ip": "198.51.100.23"})
    sentry_sdk.get_isolation_scope().add_attachment(bytes=f"log for {PLANTED_EMAIL}\n".encode(),
                                                    filename="/home/carolq/app.log")
    try:
        checkout("widgets:many")
    except ValueError:
        sentry_sdk.capture_exception()


async def test_sdk_exception_is_stored_without_personal_data(sentry: tuple[TestClient, Settings],
                                                             store: ClickHouseStore) -> None:
    client, settings = sentry
    await in_thread(client, capture_planted)
    await settle(client)
    (row,) = crashes(store)
    assert row["source"] == "sentry" and row["exception_type"] == "ValueError"
    assert [f["function"] for f in row["frames"]][:2] == ["planted_failure", "checkout"]
    assert row["app_version"] == "2.0.1" and row["breadcrumbs"] == ["auth"]
    assert str(row["install_id"]) == str(client.server.app[INTAKE].registry.install_id(PLANTED_USER))
    assert "order widgets:many" in row["exception_message"] and "~/" in row["exception_message"]
    (attachment,) = row["attachment_keys"]
    assert objects(settings)[attachment].startswith(b"log for ")
    text = everything(store, settings)
    for planted in (PLANTED_EMAIL, PLANTED_TOKEN, "carolq", PLANTED_HOST, PLANTED_USER, "198.51.100.23",
                    "enterprise", "support_note", "customer_email", "api_token"):
        assert planted not in text, planted


async def test_sdk_crash_groups_with_the_same_native_crash(sentry: tuple[TestClient, Settings],
                                                           store: ClickHouseStore) -> None:
    client, _ = sentry
    await in_thread(client, capture_planted)
    await settle(client)
    (sentry_row,) = crashes(store)
    here = Path(__file__)
    native = {"crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()),
              "consent": {"crash_report": "granted"},
              "context": {"app": "myapp", "app_version": "2.0.1", "os": "linux"},
              "exception": {"type": "ValueError", "message": "cannot read a file"},
              "threads": [{"crashed": True, "frames": [  # innermost first, as the native API defines it
                  {"function": f.__name__, "module": f.__module__, "file": str(here), "line": 1, "in_app": True}
                  for f in (planted_failure, checkout, capture_planted)]}]}
    form = aiohttp.FormData()
    form.add_field("report", msgspec.json.encode(native), filename="r.json", content_type="application/json")
    response = await client.post("/v1/crashes", data=form)
    assert response.status == 202
    assert (await response.json())["group_id"] == sentry_row["fingerprint"]


async def test_sdk_registry_denial_is_answered_200_and_stores_nothing(sentry: tuple[TestClient, Settings],
                                                                      store: ClickHouseStore) -> None:
    client, settings = sentry
    response = await client.put("/v1/installs/denier-1/consent",
                                json={"crash_report": "denied", "policy_version": "2026-11"})
    assert response.status == 200

    def scenario() -> None:
        capture_planted_as("denier-1")
        sentry_sdk.flush(timeout=10)
        capture_planted_as("consenter-2")  # the same SDK process keeps sending other users' crashes

    await in_thread(client, scenario)
    await settle(client)
    assert dropped(client, "registry_denied") == 2  # the event and its attachment
    rows = crashes(store)
    registry = client.server.app[INTAKE].registry
    assert [str(r["install_id"]) for r in rows] == [str(registry.install_id("consenter-2"))]
    assert sample(client, "consentry_requests_total", route=ENVELOPE, status="200") == 2
    assert sample(client, "consentry_requests_total", route=ENVELOPE, status="403") == 0
    assert len(objects(settings)) == 1  # only the consenting user's attachment


def capture_planted_as(user: str) -> None:
    with sentry_sdk.isolation_scope():
        sentry_sdk.set_user({"id": user})
        capture_planted_user_kept(user)


def capture_planted_user_kept(user: str) -> None:
    sentry_sdk.get_isolation_scope().add_attachment(bytes=b"a log line\n", filename="app.log")
    try:
        checkout(user)
    except ValueError:
        sentry_sdk.capture_exception()


async def test_sdk_key_without_crash_scope_is_dropped_and_stops_sending(sentry: tuple[TestClient, Settings],
                                                                         store: ClickHouseStore) -> None:
    client, _ = sentry

    def scenario() -> None:
        sentry_sdk.capture_message("first")
        sentry_sdk.flush(timeout=10)
        sentry_sdk.capture_message("second: the SDK honours the 86400 s limit and never sends it")

    await in_thread(client, scenario, key="k_telemetry_only")
    await settle(client)
    assert crashes(store) == []
    assert dropped(client, "key_scope") == 1
    assert sample(client, "consentry_sdk_items_total", sdk="sentry", type="event") == 1
