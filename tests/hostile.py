"""Hostile request shapes (issue 18), built once and sent by the integration tests (the app on a loopback test
server) and by tests/system/test_hostile.py (the real `consentry serve`): each names the route, the bytes, and
the answers that are acceptable."""

from __future__ import annotations

import functools
import gzip
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

SDK_KEY = "phc_" + "5" * 32  # an ingest key of both SDK families in the settings these shapes are sent to
ADMIN_TOKEN = "admin-" + "7" * 40
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SENTRY_AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={SDK_KEY}, sentry_version=7"}
BOUNDARY = "hostileBoundary"
FORM = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
JSON = {"Content-Type": "application/json"}
MSGPACK = {"Content-Type": "application/msgpack"}
DEPTH = 1000  # the nesting the probe sent (RecursionError → 500)


class Shape(msgspec.Struct, frozen=True):
    name: str
    path: str
    body: bytes
    headers: dict[str, str]
    statuses: frozenset[int]  # acceptable answers
    code: str | None = None  # the refusal code, when the answer is a refusal
    method: str = "POST"


def ingest_keys() -> str:
    """CONSENTRY_INGEST_KEYS for a server the shapes are sent to."""
    return msgspec.json.encode({SDK_KEY: {"app": "editor", "scopes": ["telemetry", "crash_report"]}}).decode()


def deep_json(depth: int = DEPTH) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def deep_list(depth: int = DEPTH) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_msgpack(depth: int = DEPTH) -> bytes:
    return b"\x81\xa1a" * depth + b"\x01"  # {"a": {"a": ... 1}}


def now_iso() -> str:
    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")


def event_batch(props: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"install_id": str(uuid.uuid4()), "consent": {"telemetry": "granted"},
            "context": {"app": "editor", "app_version": "1.0", "os": "linux"},
            "events": [{"event_id": str(uuid.uuid4()), "name": "file.opened", "ts": now_iso(),
                        "props": props or {"mode": "split"}}]}


def form(*parts: tuple[str, bytes, str | None]) -> bytes:
    """A CRLF multipart body: (name, data, filename or None) per part, then the close delimiter."""
    out = bytearray()
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return bytes(out + f"--{BOUNDARY}--\r\n".encode())


def crash_report() -> dict[str, Any]:
    return {"crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()), "consent": {"crash_report": "granted"},
            "context": {"app": "editor", "app_version": "1.0", "os": "linux"},
            "exception": {"type": "KeyError", "message": "x"}}


def envelope(header: bytes, *items: tuple[bytes, bytes]) -> bytes:
    return header + b"\n" + b"".join(h + b"\n" + p + b"\n" for h, p in items)


def nesting() -> list[Shape]:
    """JSON / MessagePack nested DEPTH levels, on every door that parses one: 400 malformed_body."""
    bad = frozenset({400})
    deep = deep_json()
    event = b'{"event_id":"' + uuid.uuid4().hex.encode() + b'","extra":' + deep + b"}"
    posthog = b'{"api_key":"' + SDK_KEY.encode() + b'","batch":[{"event":"x","properties":' + deep + b"}]}"
    return [
        Shape("events json", "/v1/events", deep, JSON, bad, "malformed_body"),
        Shape("events json list", "/v1/events", deep_list(), JSON, bad, "malformed_body"),
        Shape("events msgpack", "/v1/events", deep_msgpack(), MSGPACK, bad, "malformed_body"),
        Shape("events unknown field", "/v1/events",
              msgspec.json.encode(event_batch())[:-1] + b',"extra":' + deep + b"}", JSON, bad, "malformed_body"),
        Shape("crash report part", "/v1/crashes", form(("report", deep, "r.json")), FORM, bad, "malformed_body"),
        Shape("sentry envelope header", "/api/1/envelope/", envelope(deep_list(700)), SENTRY_AUTH, bad,
              "malformed_body"),
        Shape("sentry item header", "/api/1/envelope/", envelope(b"{}", (deep_list(700), b"{}")), SENTRY_AUTH,
              bad, "malformed_body"),
        # A bad event item drops that item only (counted malformed_item), as Relay does: 200, nothing stored.
        Shape("sentry event item", "/api/1/envelope/", envelope(b"{}", (b'{"type":"event"}', event)), SENTRY_AUTH,
              frozenset({200})),
        Shape("posthog batch", "/batch/", posthog, JSON, bad, "malformed_body"),
        Shape("posthog e form", "/e/", b"data=" + deep, {"Content-Type": "application/x-www-form-urlencoded"}, bad,
              "malformed_body"),
        Shape("posthog v1", "/i/v1/analytics/events", b'{"batch":[' + deep + b"]}",
              {"Authorization": f"Bearer {SDK_KEY}"} | JSON, bad, "malformed_body"),
        Shape("posthog flags", "/flags/", deep, JSON, bad, "malformed_body"),
        Shape("posthog gzip", "/batch/", gzip.compress(posthog), JSON | {"Content-Encoding": "gzip"}, bad,
              "malformed_body"),
    ]


BIG_INT = int("9" * 400)


def numbers() -> list[Shape]:
    """A 400-digit integer prop (OverflowError in redaction → 500) and MessagePack NaN / ±inf props (stored as
    0.0): 422 invalid_field, whatever the door."""
    bad = frozenset({422})
    big = msgspec.json.encode(event_batch({"count": BIG_INT}))
    posthog = {"event": "file_opened", "distinct_id": "d", "timestamp": now_iso(), "properties": {"count": BIG_INT}}
    shapes = [
        Shape("events big int", "/v1/events", big, JSON, bad, "invalid_field"),
        Shape("posthog batch big int", "/batch/",
              msgspec.json.encode({"api_key": SDK_KEY, "batch": [posthog]}), JSON, bad, "invalid_field"),
        Shape("posthog v1 big int", "/i/v1/analytics/events", msgspec.json.encode({"batch": [posthog]}),
              {"Authorization": f"Bearer {SDK_KEY}"} | JSON, bad, "invalid_field"),
    ]
    for name, value in (("nan", float("nan")), ("inf", float("inf")), ("-inf", float("-inf"))):
        shapes.append(Shape(f"events msgpack {name}", "/v1/events",
                            msgspec.msgpack.encode(event_batch({"ratio": value})), MSGPACK, bad, "invalid_field"))
    return shapes


def calendar_edges() -> list[Shape]:
    """Admin `since` / `until` at the calendar's edges with an offset (OverflowError → 500): 400."""
    shapes = []
    for text in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "99999999999d"):
        query = text.replace("+", "%2B")
        shapes.append(Shape(f"crash groups since {text}", f"/v1/admin/crash-groups?since={query}", b"", ADMIN,
                            frozenset({400}), "malformed_parameter", "GET"))
        shapes.append(Shape(f"report until {text}", f"/v1/admin/reports/active?until={query}", b"", ADMIN,
                            frozenset({400}), "malformed_parameter", "GET"))
    shapes.append(Shape("report since and until 9999", "/v1/admin/reports/active?since=9999-12-30&until=9999-12-31",
                        b"", ADMIN, frozenset({200, 400}), method="GET"))
    return shapes


@functools.cache
def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def one_huge_part() -> bytes:
    """~64 KB of gzip inflating to 63 MiB of `\\xff\\n` in one minidump part."""
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload_file_minidump"; filename="d.dmp"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return _gzip(head + b"\xff\n" * (63 << 19) + f"\r\n--{BOUNDARY}--\r\n".encode())


def empty_parts(count: int = 164_000) -> bytes:
    """~24 KB of gzip holding `count` empty parts."""
    one = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n'.encode()
    return _gzip(one * count + f"--{BOUNDARY}--\r\n".encode())


def multipart_bombs() -> list[Shape]:
    """Compressed multipart bombs on both crash form routes: refused within a second, the body never held."""
    gz = FORM | {"Content-Encoding": "gzip"}
    shapes = []
    for route in ("/v1/crashes", f"/api/1/minidump/?sentry_key={SDK_KEY}"):
        shapes.append(Shape(f"one 63 MiB part {route[:12]}", route, one_huge_part(), gz, frozenset({413}),
                            "part_too_large"))
        shapes.append(Shape(f"164,000 empty parts {route[:12]}", route, empty_parts(), gz, frozenset({400}),
                            "malformed_body"))
        shapes.append(Shape(f"bare-LF empty parts {route[:12]}", route, _gzip(
            gzip.decompress(empty_parts()).replace(b"\r\n", b"\n")), gz, frozenset({400}), "malformed_body"))
    return shapes
