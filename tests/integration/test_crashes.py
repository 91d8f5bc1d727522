"""POST /v1/crashes end to end: real loopback server, real chDB, the local store and real S3 (SeaweedFS)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer
from s3server import S3Server
from support import drain

from ingest.app import create_app
from ingest.settings import ConfigError, Settings
from ingest.stores import open_objects
from storage.clickhouse.client import ClickHouseStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "minidumps"
WINDOWS_DUMP = (FIXTURES / "windows_amd64.dmp").read_bytes()


def report(consent: Any = "granted", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()),
        "consent": {"crash_report": consent, "policy_version": "2026-01-21"},
        "context": {"app": "interpreter", "app_version": "1.4.2", "os": "windows", "os_version": "10.0.22631"},
        "ts": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        "exception": {"type": "FileNotFoundError",
                      "message": "No such file: 'C:\\Users\\Bob Smith\\Documents\\taxes 2025.pdf' "
                                 "(owner bob@corp.com)"},
        "threads": [{"crashed": True, "frames": [
            {"function": "open_document", "module": "interpreter.docs",
             "file": "C:\\Users\\Bob Smith\\AppData\\Local\\Programs\\interpreter\\app\\docs.py", "line": 42,
             "in_app": True},
            {"function": "send", "module": "httpx._client",
             "file": "C:\\Users\\Bob Smith\\.venv\\Lib\\site-packages\\httpx\\_client.py", "line": 901},
        ]}],
        "breadcrumbs": ["editor.opened", "file.open_clicked"],
        "extra": {"mode": "split", "last_dir": "/Users/bob/Desktop"},
    }
    if consent is None:
        del body["consent"]
    body.update(overrides)
    return body


def form(parts: list[tuple[str, bytes, str | None]]) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value, filename in parts:
        if filename is None:  # a plain form field (a Crashpad annotation)
            data.add_field(name, value.decode("utf-8", "replace"))
        else:
            body = io.BytesIO(value) if len(value) > 1 << 20 else value  # aiohttp warns about large raw bytes
            data.add_field(name, body, filename=filename, content_type="application/octet-stream")
    return data


def native(body: dict[str, Any], dump: bytes | None = WINDOWS_DUMP, attachments: tuple[bytes, ...] = ()) -> Any:
    parts: list[tuple[str, bytes, str | None]] = [("report", msgspec.json.encode(body), "report.json")]
    if dump is not None:
        parts.append(("minidump", dump, "C:\\Users\\Bob Smith\\crash.dmp"))
    parts += [("attachment", a, "../../etc/passwd") for a in attachments]
    return form(parts)


def objects_of(settings: Settings) -> list[str]:
    store = open_objects(settings)
    try:
        return [o.key for o in store.list("crashes/")]
    finally:
        store.close()


async def test_consented_upload_is_stored_redacted(app_on_each_store: tuple[TestClient, Settings],
                                                   store: ClickHouseStore) -> None:
    client, settings = app_on_each_store
    body = report()
    log = b"2026-11-22 opened C:\\Users\\Bob Smith\\notes.txt for bob@corp.com\n"
    response = await client.post("/v1/crashes", data=native(body, attachments=(log,)))
    assert response.status == 202, await response.text()
    answer = await response.json()
    assert answer["crash_id"] == body["crash_id"] and len(answer["group_id"]) == 32
    await drain(client)
    row = store.query(f"SELECT exception_type, exception_message, frames, extra, minidump_key, minidump_size, "
                      f"minidump_parsed, dump_exception_name, dump_cpu_arch, dump_modules, attachment_keys, "
                      f"redactions FROM {store.database}.crashes").rows
    assert len(row) == 1
    kind, message, frames, extra, dump_key, dump_size, parsed, dump_name, arch, modules, attachments, found = row[0]
    assert kind == "FileNotFoundError"
    assert "Bob" not in message and "taxes" not in message and "bob@corp.com" not in message
    assert "[user]" in message and "[email]" in message
    assert (frames[0]["module"], frames[0]["function"]) == ("interpreter.docs", "open_document")
    assert "Bob" not in frames[0]["file"] and frames[0]["in_app"] is True
    assert frames[1]["file"].endswith("site-packages\\httpx\\_client.py") and frames[1]["line"] == 901
    assert extra["mode"] == "split" and "bob" not in extra["last_dir"]
    assert dump_key == f"crashes/{body['ts'][:10].replace('-', '/')}/{body['crash_id']}/minidump.dmp"
    assert (dump_size, parsed, dump_name, arch) == (len(WINDOWS_DUMP), True, "EXCEPTION_ACCESS_VIOLATION", "amd64")
    assert modules and all("Bob Smith" not in m for m in modules)
    assert sum(found.values()) > 0
    keys = objects_of(settings)
    assert sorted(keys) == sorted([dump_key, *attachments])
    stored = open_objects(settings)
    try:
        assert stored.get(dump_key) == WINDOWS_DUMP  # the dump is kept byte for byte (encrypted at rest on S3)
        text = stored.get(attachments[0]).decode()
        assert "Bob" not in text and "bob@corp.com" not in text and "opened" in text
    finally:
        stored.close()


@pytest.mark.parametrize("consent", [None, "denied", "granted-ish"])
async def test_without_consent_nothing_is_stored_anywhere(app_on_each_store: tuple[TestClient, Settings],
                                                          store: ClickHouseStore, consent: Any) -> None:
    client, settings = app_on_each_store
    response = await client.post("/v1/crashes", data=native(report(consent=consent)))
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "consent_required"
    await drain(client)
    assert store.query(f"SELECT count() FROM {store.database}.crashes").rows == [[0]]
    assert objects_of(settings) == []


async def test_retried_upload_is_one_crash(app_on_each_store: tuple[TestClient, Settings],
                                           store: ClickHouseStore) -> None:
    client, settings = app_on_each_store
    body = report()
    for _ in range(2):
        assert (await client.post("/v1/crashes", data=native(body))).status == 202
    await drain(client)
    assert store.query(f"SELECT count() FROM {store.database}.crashes").rows == [[1]]
    assert len(objects_of(settings)) == 1


async def test_crashpad_upload(client: TestClient, store: ClickHouseStore, settings: Settings) -> None:
    guid = uuid.uuid4().hex
    parts = [("upload_file_minidump", WINDOWS_DUMP, "upload.dmp"), ("prod", b"Interpreter", None),
             ("ver", b"30.1.0", None), ("_productName", b"Interpreter", None), ("_version", b"1.4.2", None),
             ("platform", b"win32", None), ("guid", guid.encode(), None), ("process_type", b"renderer", None),
             ("consent_crash_report", b"granted", None), ("user_email", b"bob@corp.com", None)]
    payload = form(parts)
    response = await client.post("/v1/crashes", data=payload)
    assert response.status == 200
    crash_id = (await response.text()).strip()
    uuid.UUID(crash_id)
    again = await client.post("/v1/crashes", data=form(parts))  # same dump: same derived crash id
    assert (await again.text()).strip() == crash_id
    await drain(client)
    rows = store.query(f"SELECT toString(install_id), source, app, app_version, os, exception_type, frames, extra "
                       f"FROM {store.database}.crashes").rows
    assert len(rows) == 1
    install, source, app, version, os_name, kind, frames, extra = rows[0]
    assert (install, source, app, version, os_name) == (str(uuid.UUID(guid)), "crashpad", "Interpreter", "1.4.2",
                                                        "windows")
    assert kind == "EXCEPTION_ACCESS_VIOLATION"
    assert frames == []  # the fixture's crash address lies in no module: grouping falls back to the exception
    assert extra.get("process_type") == "renderer" and "user_email" not in extra  # unlisted annotations dropped


async def test_crashpad_without_consent_annotation_is_refused(client: TestClient, settings: Settings) -> None:
    parts = [("upload_file_minidump", WINDOWS_DUMP, "upload.dmp"), ("guid", uuid.uuid4().hex.encode(), None)]
    response = await client.post("/v1/crashes", data=form(parts))
    assert response.status == 403
    assert objects_of(settings) == []


async def test_gzip_upload(client: TestClient, store: ClickHouseStore) -> None:
    payload = native(report())()
    chunks: list[bytes] = []

    class Sink:
        async def write(self, data: bytes) -> None:
            chunks.append(data)

    await payload.write(Sink())  # type: ignore[arg-type]
    body = gzip.compress(b"".join(chunks))
    response = await client.post("/v1/crashes", data=body, headers={"Content-Type": payload.content_type,
                                                                     "Content-Encoding": "gzip"})
    assert response.status == 202
    await drain(client)
    assert store.query(f"SELECT count() FROM {store.database}.crashes").rows == [[1]]


def _bad_frames() -> dict[str, Any]:
    return report(threads=[{"crashed": True, "frames": [{"function": "f"}] * 300}])


CRASH_REFUSALS = [
    ("not-multipart", None, {"Content-Type": "application/json"}, 415, "unsupported_media_type"),
    ("no-report", form([("minidump", WINDOWS_DUMP, "x.dmp")]), None, 400, "malformed_body"),
    ("report-not-json", form([("report", b"{nope", "r.json")]), None, 400, "malformed_body"),
    ("bad-field", native(report(crash_id="nope")), None, 422, "invalid_field"),
    ("too-many-frames", native(_bad_frames()), None, 413, "too_many_frames"),
    ("too-many-attachments", native(report(), attachments=(b"a",) * 5), None, 413, "too_many_attachments"),
    ("big-attachment", native(report(), attachments=(b"a" * (300 << 10),)), None, 413, "part_too_large"),
    ("binary-attachment", native(report(), attachments=(b"\xff\xfe\x00",)), None, 422, "invalid_field"),
]


@pytest.mark.parametrize(("payload", "headers", "status", "code"), [c[1:] for c in CRASH_REFUSALS],
                         ids=[c[0] for c in CRASH_REFUSALS])
async def test_crash_refusals_store_nothing(client: TestClient, store: ClickHouseStore, settings: Settings,
                                            payload: Any, headers: Any, status: int, code: str) -> None:
    response = await client.post("/v1/crashes", data=payload if payload is not None else b"{}", headers=headers)
    assert response.status == status, await response.text()
    assert (await response.json())["error"]["code"] == code
    await drain(client)
    assert store.query(f"SELECT count() FROM {store.database}.crashes").rows == [[0]]
    assert objects_of(settings) == []


async def test_oversize_minidump_is_refused(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_CRASH_LIMITS_MAX_MINIDUMP_BYTES="100")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        response = await client.post("/v1/crashes", data=native(report()))
        assert response.status == 413 and (await response.json())["error"]["code"] == "part_too_large"
        assert objects_of(settings) == []


async def test_unparseable_dump_is_kept_and_flagged(client: TestClient, store: ClickHouseStore) -> None:
    response = await client.post("/v1/crashes", data=native(report(), dump=b"not a minidump at all"))
    assert response.status == 202
    await drain(client)
    rows = store.query(f"SELECT minidump_parsed, minidump_error, minidump_size FROM {store.database}.crashes").rows
    assert rows == [[False, "bad_signature", 21]]


def test_wrong_s3_credentials_are_a_clear_startup_error(make_settings: Any, s3_server: S3Server,
                                                        s3_bucket: str) -> None:
    settings = make_settings(CONSENTRY_OBJECT_STORE_URL=f"s3://{s3_bucket}", CONSENTRY_S3_ENDPOINT=s3_server.endpoint,
                             CONSENTRY_S3_ACCESS_KEY="wrong", CONSENTRY_S3_SECRET_KEY="wrong")
    from storage.errors import StorageUnavailable

    store = open_objects(settings)
    with pytest.raises(StorageUnavailable, match="object_store.url"):
        store.check()
    store.close()
    with pytest.raises(ConfigError, match="s3.endpoint"):
        open_objects(make_settings(CONSENTRY_OBJECT_STORE_URL="s3://bucket"))


async def test_planted_personal_data_is_not_stored_on_repeat(client: TestClient, store: ClickHouseStore) -> None:
    """An e-mail, a home path and a name in Crashpad annotations and in an exception message stay out of every
    stored row, also when the same values come again (then the redact stage answers from its caches)."""
    annotations = [("prod", b"Example App"), ("channel", b"beta for alice.johnson@example.com"),
                   ("process_type", b"/home/alice/bin/helper"), ("ptype", b"made by Alice Johnson"),
                   ("ver", b"28.2.1"), ("platform", b"linux")]
    message = "cannot open /home/alice/notes.txt: ask Alice Johnson (alice.johnson@example.com)"
    for _ in range(2):
        parts = [("upload_file_minidump", WINDOWS_DUMP, "upload.dmp"), ("guid", uuid.uuid4().hex.encode(), None),
                 ("consent_crash_report", b"granted", None), ("consentry_crash_id", str(uuid.uuid4()).encode(), None)]
        response = await client.post("/v1/crashes", data=form(parts + [(k, v, None) for k, v in annotations]))
        assert response.status == 200, await response.text()
        exception = {"type": "FileNotFoundError", "message": message}
        response = await client.post("/v1/crashes", data=native(report(exception=exception), dump=None))
        assert response.status == 202, await response.text()
    await drain(client)
    rows = store.query(f"SELECT source, app, exception_message, extra, redactions FROM {store.database}.crashes").rows
    assert sorted(row[0] for row in rows) == ["crashpad", "crashpad", "native", "native"]
    for source, app, stored_message, extra, found in rows:
        text = msgspec.json.encode([app, stored_message, extra]).decode()
        for planted in ("alice.johnson@example.com", "/home/alice", "Alice Johnson", "Alice"):
            assert planted not in text
        people = sum(n for rule, n in found.items() if rule.startswith(("name.", "ner.person")))
        assert found.get("email", 0) >= 1 and people >= 1  # counted in each row, by either tier
        if source == "crashpad":
            assert extra["ver"] == "28.2.1" and extra["ptype"] == "made by [person]"
            assert app == "Example App"


# --- big dumps: staged in the object store as they arrive ---------------------------------------------------------

BIG_DUMP = WINDOWS_DUMP + bytes(range(256)) * ((3 << 20) // 256)  # past the staging buffer: spilled to a file


def staged_leftovers(settings: Settings) -> list[Path]:
    """Files a staged dump could leave: the local store's spilled files, anything new in the data dir's top."""
    root = settings.data_path
    return [path for path in [*root.glob("~tmp-*"), *root.glob("objects/~tmp-*"), *root.glob("tmp*")]]


async def test_a_big_dump_is_stored_byte_for_byte(app_on_each_store: tuple[TestClient, Settings],
                                                  store: ClickHouseStore) -> None:
    client, settings = app_on_each_store
    body = report()
    response = await client.post("/v1/crashes", data=native(body, dump=BIG_DUMP))
    assert response.status == 202, await response.text()
    await drain(client)
    rows = store.query(f"SELECT minidump_key, minidump_size, minidump_sha256, minidump_parsed, dump_exception_name "
                       f"FROM {store.database}.crashes").rows
    key, size, digest, parsed, name = rows[0]
    assert (size, digest, parsed, name) == (len(BIG_DUMP), hashlib.sha256(BIG_DUMP).hexdigest(), True,
                                            "EXCEPTION_ACCESS_VIOLATION")
    stored = open_objects(settings)
    try:
        assert stored.get(key) == BIG_DUMP
    finally:
        stored.close()
    assert staged_leftovers(settings) == []


def _crashpad(dump: bytes, guid: str, consent: bytes = b"granted") -> aiohttp.FormData:
    return form([("guid", guid.encode(), None), ("consent_crash_report", consent, None),
                 ("upload_file_minidump", dump, "upload.dmp")])


@pytest.mark.parametrize(("payload", "status"), [
    (lambda: _crashpad(BIG_DUMP, uuid.uuid4().hex, consent=b"denied"), 403),        # consent, after the dump
    (lambda: _crashpad(BIG_DUMP, "not-a-guid"), 422),                               # validation, after consent
    (lambda: native(report(), dump=BIG_DUMP, attachments=(b"\xff\xfe",)), 422),     # decoding, after the dump
    (lambda: form([("report", msgspec.json.encode(report()), "r.json"), ("minidump", BIG_DUMP, "a.dmp"),
                   ("minidump", BIG_DUMP, "b.dmp")]), 400),                        # two dumps
], ids=["no-consent", "bad-install-id", "binary-attachment", "two-dumps"])
async def test_an_upload_refused_after_its_dump_was_staged_leaves_nothing(
        app_on_each_store: tuple[TestClient, Settings], store: ClickHouseStore, payload: Any, status: int) -> None:
    client, settings = app_on_each_store
    response = await client.post("/v1/crashes", data=payload())
    assert response.status == status, await response.text()
    await drain(client)
    assert store.query(f"SELECT count() FROM {store.database}.crashes").rows == [[0]]
    assert objects_of(settings) == []
    assert staged_leftovers(settings) == []


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_a_60_mib_dump_does_not_grow_the_worker_by_its_size(make_settings: Any,
                                                                  store: ClickHouseStore) -> None:
    """The dump streams from the socket to the object store: the process (server and client here) grows by a
    few MiB, not by the 60 MiB of the dump (it used to hold the part, a copy, and the stored bytes)."""
    dump_size = 60 << 20
    settings = make_settings(CONSENTRY_CRASH_LIMITS_MAX_MINIDUMP_BYTES=str(64 << 20),
                             CONSENTRY_CRASH_LIMITS_MAX_UPLOAD_BYTES=str(70 << 20))
    boundary = "consentry-big-dump"
    filler = bytes(range(256)) * 1024  # 256 KiB, sent again and again

    async def body(report_body: dict[str, Any]) -> AsyncIterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"report\"; filename=\"r.json\"\r\n"
               f"Content-Type: application/json\r\n\r\n").encode() + msgspec.json.encode(report_body)
        yield (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"minidump\"; filename=\"c.dmp\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n").encode() + WINDOWS_DUMP
        sent = len(WINDOWS_DUMP)
        while sent < dump_size:
            piece = filler[:dump_size - sent]
            sent += len(piece)
            yield piece
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        small = await client.post("/v1/crashes", data=native(report()))  # warm: imports, caches, the first row
        assert small.status == 202
        baseline, peak, sampling = _rss(), [0], [True]

        def sample() -> None:
            while sampling[0]:
                peak[0] = max(peak[0], _rss())
                time.sleep(0.002)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            response = await client.post("/v1/crashes", data=body(report()), headers=headers)
            assert response.status == 202, await response.text()
        finally:
            sampling[0] = False
            sampler.join()
        await drain(client)
    growth = peak[0] - baseline
    assert growth < 16 << 20, f"RSS grew by {growth >> 20} MiB for a {dump_size >> 20} MiB dump"
    assert store.query(f"SELECT minidump_size, minidump_parsed FROM {store.database}.crashes "
                       f"WHERE minidump_size > 1000000").rows == [[dump_size, True]]
    assert staged_leftovers(settings) == []
