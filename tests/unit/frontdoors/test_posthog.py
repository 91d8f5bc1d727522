"""PostHog → native mapping (ingest/frontdoors/posthog/mapping.py): names, keys, properties, consent, exceptions."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from ingest.consent.registry import ConsentRegistry
from ingest.crash.model import CrashReport
from ingest.errors import Refusal
from ingest.frontdoors.posthog.mapping import (
    Crash,
    Dropped,
    Kept,
    Mapper,
    capture_events,
    exception_report,
    parse_body,
    strip_url_ids,
)
from ingest.model import Context
from ingest.settings import IngestKey, LimitSettings
from redact import Redactor

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = IngestKey(app="shop", scopes=["telemetry", "crash_report"])


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def registry(tmp_path: Path) -> ConsentRegistry:
    return ConsentRegistry(tmp_path / "denials.json", b"k" * 32)


@pytest.fixture
def mapper(redactor: Redactor, registry: ConsentRegistry) -> Mapper:
    return Mapper(redactor, registry, LimitSettings(max_props_per_event=8, max_string_length=20))


def event(name: str = "clicked", **props: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": "user-1", "uuid": str(uuid.uuid4()), "timestamp": NOW.isoformat(),
            "properties": props}


@pytest.mark.parametrize(("name", "native"), [
    ("order_placed", "order_placed"), ("editor.opened", "editor.opened"), ("$pageview", "posthog.pageview"),
    ("$feature_flag_called", "posthog.feature_flag_called"), ("Order Placed!", "order_placed"),
    ("3d view", "e_3d_view"), ("$$", None), ("", None), ("Signup bob@example.org", None),
    ("opened /home/bob/secret.txt", None), ("x" * 129, None),
])
def test_event_names(mapper: Mapper, name: str, native: str | None) -> None:
    assert mapper.event_name(name) == native


@pytest.mark.parametrize(("key", "native"), [
    ("plan", "plan"), ("$current_url", "posthog.current_url"),
    ("$feature/new-checkout", "posthog.feature_new_checkout"),
    ("Order ID", "order_id"), ("1st", "p_1st"), ("bob@example.org", None), ("k" * 65, None),
])
def test_prop_keys(mapper: Mapper, key: str, native: str | None) -> None:
    assert mapper.prop_key(key) == native


def test_props_are_flattened_filtered_and_counted(mapper: Mapper) -> None:
    found: Counter[str] = Counter()
    props = mapper.props({
        "plan": "pro", "n": 3, "ok": True, "none": None, "$lib": "posthog-python", "$os": "Linux", "token": "phc",
        "$ip": "203.0.113.9", "$geoip_city_name": "Paris", "distinct_id": "bob", "$set": {"email": "b@x.org"},
        "$set_once": {"a": 1}, "address": {"city": "Paris", "geo": {"lat": 1.5, "deeper": {"x": 1}}},
        "tags": ["a"], "long": "y" * 21,
    }, found)
    assert props == {"plan": "pro", "n": 3, "ok": True, "address.city": "Paris", "address.geo.lat": 1.5,
                     "address.geo.deeper": '{"x":1}', "tags": '["a"]'}  # deeper and lists: JSON text
    assert found == {"identifier_property": 3, "person_properties": 2, "long_property": 1}


@pytest.mark.parametrize(("url", "kept"), [
    ("http://localhost:8000/person/018a981f-4b2d-78ae-947b-bedbaa02a0f4?personid=018a981f-4b2d-78ae-947b-bedbaa02a0f4"
     "#events", "http://localhost:8000/person/[id]?personid=[id]#events"),
    ("/person/pWAkITyQ3CN7332UqQxnH6p3FV8VJd7pY647EdNkxWc", "/person/[id]"),
    ("https://app.example/project/1/insights/new?tab=trends&h=5f4dcc3b5aa765d61d8327deb882cf99",
     "https://app.example/project/1/insights/new?tab=trends&h=[id]"),
    ("https://host.example:8000/recordings/123456789?page=2", "https://host.example:8000/recordings/[id]?page=2"),
    ("/", "/"), ("https://ex.example/docs/getting-started", "https://ex.example/docs/getting-started"),
])
def test_url_ids_are_removed_and_the_route_kept(redactor: Redactor, registry: ConsentRegistry, url: str,
                                               kept: str) -> None:
    found: Counter[str] = Counter()
    props = Mapper(redactor, registry, LimitSettings()).props({"$current_url": url, "$pathname": url}, found)
    assert props["posthog.current_url"] == props["posthog.pathname"] == kept
    assert strip_url_ids(url) == kept


def test_an_id_under_an_id_key_is_dropped(redactor: Redactor, registry: ConsentRegistry) -> None:
    found: Counter[str] = Counter()
    props = Mapper(redactor, registry, LimitSettings()).props({
        "query": {"personid": "018a981f-4b2d-78ae-947b-bedbaa02a0f4", "tab": "events"}, "grid": "3x3",
        "order_id": "A-17"}, found)
    assert props == {"query.tab": "events", "grid": "3x3", "order_id": "A-17"}
    assert found == {"identifier_property": 1}


def test_too_many_props_are_cut_and_counted(mapper: Mapper) -> None:
    found: Counter[str] = Counter()
    props = mapper.props({f"p{i}": i for i in range(10)}, found)
    assert list(props) == [f"p{i}" for i in range(8)]
    assert found == {"too_many_properties": 2}


def test_kept_event(mapper: Mapper, registry: ConsentRegistry) -> None:
    raw = event("$pageview", **{"$session_id": "0190e3f5-4b6a-7cc1-9f2b-1d2e3f4a5b6c", "$os": "Mac OS X",
                                "$os_version": "15.1", "$app_version": "2.0.1", "$device_type": "Desktop",
                                "$browser": "Firefox"})
    raw["$set"] = {"email": "b@x.org"}
    found: Counter[str] = Counter()
    out = mapper.map_event(raw, KEY, "phc", NOW, found)
    assert isinstance(out, Kept)
    assert out.install_id == registry.install_id("user-1") != uuid.UUID(int=0)
    assert (out.context.app, out.context.app_version, out.context.os, out.context.os_version,
            out.context.device_type) == ("shop", "2.0.1", "Mac OS X", "15.1", "Desktop")
    assert out.event.name == "posthog.pageview" and str(out.event.event_id) == raw["uuid"]
    assert str(out.event.session_id) == "0190e3f5-4b6a-7cc1-9f2b-1d2e3f4a5b6c"
    assert out.event.props == {"posthog.browser": "Firefox"}
    assert found == {"person_properties": 1}


def test_event_without_uuid_gets_a_stable_id(mapper: Mapper) -> None:
    raw = event()
    del raw["uuid"]
    first = mapper.map_event(raw, KEY, "phc", NOW, Counter())
    again = mapper.map_event(dict(raw), KEY, "phc", NOW, Counter())
    other = mapper.map_event(dict(raw, event="other"), KEY, "phc", NOW, Counter())
    assert isinstance(first, Kept) and isinstance(again, Kept) and isinstance(other, Kept)
    assert first.event.event_id == again.event.event_id != other.event.event_id


@pytest.mark.parametrize(("change", "reason"), [
    ({"event": "$identify"}, "profile_event"), ({"event": "$create_alias"}, "profile_event"),
    ({"event": "alias"}, "profile_event"), ({"event": "$groupidentify"}, "profile_event"),
    ({"distinct_id": None}, "no_distinct_id"), ({"distinct_id": "x" * 201}, "no_distinct_id"),
    ({"timestamp": "soon"}, "invalid_timestamp"), ({"event": 5}, "malformed_event"),
    ({"timestamp": (NOW - timedelta(days=31)).isoformat()}, "timestamp_out_of_range"),
    ({"timestamp": (NOW + timedelta(days=2)).isoformat()}, "timestamp_out_of_range"),
    ({"api_key": "phc_other"}, "key_mismatch"), ({"event": "Hi bob@example.org"}, "event_name"),
])
def test_dropped_events(mapper: Mapper, change: dict[str, Any], reason: str) -> None:
    assert mapper.map_event(event() | change, KEY, "phc", NOW, Counter()) == Dropped(reason)


def test_consent_is_decided_per_event(mapper: Mapper, registry: ConsentRegistry) -> None:
    marker_key = IngestKey(app="shop", scopes=["telemetry"], require_marker=True)
    assert mapper.map_event(event(), marker_key, "phc", NOW, Counter()) == Dropped("marker_missing")
    assert isinstance(mapper.map_event(event(**{"$consent": "analytics"}), marker_key, "phc", NOW, Counter()), Kept)
    assert mapper.map_event(event(**{"$consent": "crash"}), KEY, "phc", NOW, Counter()) == Dropped("marker_denies")
    assert mapper.map_event(event("$exception"), marker_key, "phc", NOW, Counter()) == Dropped("key_scope")
    registry.record_local(registry.install_id("user-1"), {"telemetry": "denied"}, time.time())
    assert mapper.map_event(event(), KEY, "phc", NOW, Counter()) == Dropped("registry_denied")
    assert isinstance(mapper.map_event(event("$exception"), KEY, "phc", NOW, Counter()), Crash)


def test_exception_report_is_a_native_crash_report() -> None:
    frames = [{"filename": "main.py", "abs_path": "/home/bob/app/main.py", "function": "main", "module": "__main__",
               "lineno": 3, "context_line": "secret = 'hunter2'", "pre_context": ["x"]},
              {"filename": "lib.py", "function": "parse", "module": "lib", "lineno": 9, "in_app": True}]
    props = {"$exception_list": [{"type": "KeyError", "value": "'k'", "mechanism": {"handled": False},
                                  "stacktrace": {"type": "raw", "frames": frames}, "code_variables": {"a": 1}}],
             "$exception_level": "error", "$exception_source": "python.excepthook"}
    crash_id, install = uuid.uuid4(), uuid.uuid4()
    context = Context(app="shop", app_version="1", os="Linux")
    report = exception_report(crash_id, install, context, NOW, props)
    assert report["exception"] == {"type": "KeyError", "message": "'k'"}
    assert report["threads"] == [{"crashed": True, "frames": [
        {"in_app": True, "function": "parse", "module": "lib", "file": "lib.py", "line": 9},
        {"in_app": False, "function": "main", "module": "__main__", "file": "/home/bob/app/main.py", "line": 3}]}]
    assert report["extra"] == {"level": "error", "source": "python.excepthook", "handled": False}
    assert "hunter2" not in json.dumps(report) and "code_variables" not in json.dumps(report)
    typed = msgspec.convert(report, CrashReport)
    assert (typed.crash_id, typed.install_id, typed.ts) == (crash_id, install, NOW)


def test_parse_body_shapes() -> None:
    doc = {"event": "x", "properties": {"token": "phc"}}
    assert parse_body(json.dumps(doc).encode(), "application/json") == doc
    form = "data=" + base64.b64encode(json.dumps([doc]).encode()).decode().replace("+", "%2B")
    assert parse_body(form.encode(), "application/x-www-form-urlencoded") == [doc]
    assert parse_body(b"data=" + json.dumps(doc).encode(), "application/x-www-form-urlencoded") == doc
    for bad, kind in ((b"{nope", "application/json"), (b"data=%%%", "application/x-www-form-urlencoded")):
        with pytest.raises(Refusal) as caught:
            parse_body(bad, kind)
        assert caught.value.code == "malformed_body"


def test_capture_events_finds_the_key() -> None:
    doc = {"event": "x", "properties": {"token": "phc_js"}}
    assert capture_events({"batch": [doc], "api_key": "phc_py"}) == ("phc_py", [doc])
    assert capture_events({"batch": [doc], "token": "phc_tok"}) == ("phc_tok", [doc])
    assert capture_events([doc]) == ("phc_js", [doc])
    assert capture_events(doc) == ("phc_js", [doc])
    assert capture_events({"batch": [{"event": "x"}]}) == (None, [{"event": "x"}])
    with pytest.raises(Refusal):
        capture_events({"nothing": 1})
