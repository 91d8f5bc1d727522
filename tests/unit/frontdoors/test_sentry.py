"""Sentry envelope framing and the Sentry → native mapping (ingest/frontdoors/sentry/envelope.py and mapping.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.consent.registry import ConsentRegistry
from ingest.errors import Refusal
from ingest.frontdoors.sentry.envelope import parse_envelope
from ingest.frontdoors.sentry.mapping import (
    event_time,
    event_uuid,
    form_event,
    install_id,
    item_label,
    map_event,
    map_transaction,
    markers,
    packed_event,
)
from ingest.settings import CrashLimitSettings, IngestKey, LimitSettings
from ingest.stages.validate import validate_crash

KEY = IngestKey(app="editor", scopes=["crash_report", "telemetry"])
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


# -- framing ---------------------------------------------------------------------------------------------------

def test_items_with_length_may_hold_newlines() -> None:
    body = b'{"event_id":"ab"}\n{"type":"attachment","length":11}\nline1\nline2\n{"type":"event","length":2}\n{}\n'
    envelope = parse_envelope(body)
    assert envelope.headers == {"event_id": "ab"}
    assert [(i.type, i.payload) for i in envelope.items] == [("attachment", b"line1\nline2"), ("event", b"{}")]


def test_items_without_length_run_to_the_newline_and_the_last_newline_is_optional() -> None:
    envelope = parse_envelope(b'{}\n{"type":"session"}\n{"sid":"x"}\n\n{"type":"event","length":2}\n{}')
    assert [(i.type, i.payload) for i in envelope.items] == [("session", b'{"sid":"x"}'), ("event", b"{}")]


def test_empty_header_and_no_items() -> None:
    assert parse_envelope(b"{}\n").items == [] and parse_envelope(b"{}").headers == {}


@pytest.mark.parametrize("body", [
    b"", b"\n\n", b"nope\n", b"[1]\n", b'{}\n{"type":"event","length":5}\n{}\n', b'{}\nnot json\n{}\n',
    b'{}\n{"type":"event","length":2}\n{}X', b'{}\n{"type":"event","length":-1}\n',
    b'{}\n{"type":"event","length":"2"}\n{}\n',
    b'{}\n' + b'{"type":"x"}\n{}\n' * 101,
])
def test_malformed_envelopes_are_refused(body: bytes) -> None:
    with pytest.raises(Refusal) as refused:
        parse_envelope(body)
    assert refused.value.code == "malformed_body"


def test_item_labels_are_bounded() -> None:
    assert item_label("event") == "event" and item_label("client_report") == "client_report"
    assert item_label("x" * 40) == "other"


FIXTURES = Path(__file__).parents[2] / "fixtures" / "sdk" / "sentry"  # recordings of the real SDK's requests
FIXTURE = FIXTURES / "02-exception-default-gzip.decoded"


def test_fixture_frames_as_the_sdk_reads_them() -> None:
    envelope = parse_envelope(FIXTURE.read_bytes())
    (item,) = envelope.items
    assert item.type == "event" and len(item.payload) == item.headers["length"]
    assert json.loads(item.payload)["event_id"] == envelope.headers["event_id"]


# -- mapping ---------------------------------------------------------------------------------------------------

def sentry_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "e9173fc4bd32431ca87f339da921905b", "level": "error", "platform": "python",
        "timestamp": "2026-11-23T11:59:00Z", "release": "editor@1.4.2", "server_name": "alice-laptop",
        "user": {"id": "u-1", "email": "alice@example.com", "ip_address": "{{auto}}"},
        "tags": {"consent": "crash", "plan": "pro", "handled": "yes"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.12.1", "build": "x"},
                     "os": {"name": "Darwin", "version": "24.1", "kernel_version": "Darwin Kernel alice"},
                     "consent": {"state": "granted", "scopes": ["crash"], "type": "consent"},
                     "trace": {"trace_id": "t"}},
        "extra": {"sys.argv": ["/home/alice/app.py", "--token=x"]},
        "breadcrumbs": {"values": [{"category": "UI-Click", "message": "clicked alice"}, {"category": "!!"},
                                   {"type": "http", "data": {"url": "https://x/?email=a@b.c"}}]},
        "request": {"headers": {"Cookie": "sid=1"}},
        "exception": {"values": [
            {"type": "KeyError", "value": "'cause'"},
            {"type": "ValueError", "value": "bad", "stacktrace": {"frames": [
                {"module": "app.main", "function": "run", "abs_path": "/home/alice/app/main.py", "lineno": 3,
                 "in_app": True, "vars": {"token": "'tok'"}},
                {"module": "app.orders", "function": "parse", "filename": "orders.py", "lineno": 9,
                 "in_app": True, "context_line": "x = secret", "pre_context": ["a"]},
            ]}},
        ]},
    }
    event.update(overrides)
    return event


def registry(tmp_path: Path) -> ConsentRegistry:
    return ConsentRegistry(tmp_path / "denials.json", b"k" * 32)


def test_exception_event_maps_to_a_native_report(tmp_path: Path) -> None:
    event = sentry_event()
    install, from_event = install_id(event, registry(tmp_path))
    assert from_event and install == registry(tmp_path).install_id("u-1")
    mapped = map_event(event, key=KEY, install=install, event_id=event_uuid(event["event_id"]), sent_at=None,
                       now=NOW, limits=CrashLimitSettings())
    report = mapped.report
    assert mapped.has_exception and report["exception"] == {"type": "ValueError", "message": "bad"}
    assert report["crash_id"] == str(uuid.UUID("e9173fc4bd32431ca87f339da921905b"))
    assert report["context"] == {"app": "editor", "app_version": "1.4.2", "os": "macos", "os_version": "24.1"}
    assert report["threads"] == [{"crashed": True, "frames": [  # innermost first; no vars, no source
        {"function": "parse", "module": "app.orders", "file": "orders.py", "line": 9, "in_app": True},
        {"function": "run", "module": "app.main", "file": "/home/alice/app/main.py", "line": 3, "in_app": True}]}]
    assert report["breadcrumbs"] == ["ui_click", "http"]
    assert report["extra"] == {"runtime.name": "CPython", "runtime.version": "3.12.1", "tag.handled": "yes",
                               "sentry.level": "error"}
    assert dict(mapped.dropped) == {
        "sentry.drop.server_name": 1, "sentry.drop.user": 2, "sentry.drop.extra": 1, "sentry.drop.request": 1,
        "sentry.drop.chained": 1, "sentry.drop.vars": 1, "sentry.drop.source": 1, "sentry.drop.breadcrumbs": 2,
        "sentry.drop.contexts": 5, "sentry.drop.tags": 1}
    assert "alice" not in json.dumps({k: v for k, v in report.items() if k != "threads"})


def test_message_event_and_thread_stack(tmp_path: Path) -> None:
    event = {"level": "warning", "logentry": {"message": "disk %s full", "formatted": "disk /home/bob full",
                                               "params": ["/home/bob"]},
             "threads": {"values": [{"id": 1, "stacktrace": {"frames": [{"function": "idle"}]}},
                                    {"id": 2, "crashed": True, "stacktrace": {"frames": [{"function": "a"},
                                                                                         {"function": "b"}]}}]}}
    mapped = map_event(event, key=KEY, install=uuid.uuid4(), event_id=uuid.uuid4(), sent_at=None, now=NOW,
                       limits=CrashLimitSettings())
    assert not mapped.has_exception
    assert mapped.report["exception"] == {"type": "message.warning", "message": "disk /home/bob full"}
    assert [f["function"] for f in mapped.report["threads"][0]["frames"]] == ["b", "a"]
    assert mapped.dropped["sentry.drop.params"] == 1
    dump = map_event({"message": {"formatted": "boom"}}, key=KEY, install=uuid.uuid4(), event_id=uuid.uuid4(),
                     sent_at=None, now=NOW, limits=CrashLimitSettings(), has_dump=True)
    assert dump.report["exception"] == {"type": "NativeCrash", "message": "boom"} and dump.report["threads"] == []


def test_limits_truncate_instead_of_refusing() -> None:
    frames = [{"function": f"f{i}"} for i in range(300)]
    event = {"exception": {"values": [{"type": "E", "value": "x" * 10_000, "stacktrace": {"frames": frames}}]},
             "timestamp": NOW.timestamp() - 60,
             "breadcrumbs": [{"category": "c" * 129}] + [{"category": "c"}] * 150, "release": "not a valid @ version!"}
    limits = CrashLimitSettings()
    mapped = map_event(event, key=KEY, install=uuid.uuid4(), event_id=uuid.uuid4(), sent_at=None, now=NOW,
                       limits=limits)
    frames_out = mapped.report["threads"][0]["frames"]
    assert len(frames_out) == limits.max_frames and frames_out[0]["function"] == "f299"
    assert len(mapped.report["exception"]["message"]) == limits.max_message_length
    assert mapped.report["breadcrumbs"] == ["c"] * limits.max_breadcrumbs
    assert mapped.report["context"]["app_version"] == "0"
    validate_crash(mapped.report, limits, LimitSettings(), NOW)  # what the shared crash steps accept


def test_identity_falls_back_to_the_install_tag_then_a_fresh_id(tmp_path: Path) -> None:
    reg = registry(tmp_path)
    tagged = str(uuid.uuid4())
    assert install_id({"tags": [["install_id", tagged]]}, reg) == (uuid.UUID(tagged), True)
    first, known = install_id({}, reg)
    assert not known and first != install_id({}, reg)[0]


def test_markers_come_from_the_tag_and_the_context() -> None:
    assert markers({}) == []
    assert markers(sentry_event()) == ["crash", {"state": "granted", "scopes": ["crash"]}]
    assert markers({"tags": [["consent", "none"]]}) == ["none"]


def test_clock_drift_is_corrected_like_relay() -> None:
    sent = (NOW - timedelta(hours=8)).isoformat()
    assert event_time((NOW - timedelta(hours=8, seconds=5)).isoformat(), sent, NOW) == NOW - timedelta(seconds=5)
    assert event_time((NOW - timedelta(minutes=10)).timestamp(), (NOW - timedelta(minutes=9)).isoformat(), NOW) \
        == NOW - timedelta(minutes=10)  # under 55 minutes: latency, left alone
    assert event_time("garbage", None, NOW) == NOW
    assert event_time("9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", NOW).year == 1  # refused later, no crash


def test_transaction_keeps_no_span_text() -> None:
    event = {"type": "transaction", "transaction": "checkout", "start_timestamp": "2026-11-23T11:59:00Z",
             "timestamp": "2026-11-23T11:59:00.250Z",
             "spans": [{"op": "db", "description": "SELECT * FROM t WHERE email='a@b.c'"}], "release": "x@2.0",
             "platform": "python", "contexts": {"trace": {"op": "task", "status": "ok"}, "runtime": {"name": "PyPy"}}}
    mapped = map_transaction(event, key=KEY, event_id=uuid.uuid4(), sent_at=None, now=NOW, limits=LimitSettings())
    assert mapped.props == {"transaction": "checkout", "duration_ms": 250.0, "span_count": 1, "op": "task",
                            "status": "ok", "sentry.platform": "python", "runtime.name": "PyPy"}
    assert mapped.context["app_version"] == "2.0" and mapped.dropped["sentry.drop.spans"] == 1
    assert mapped.ts == datetime(2026, 11, 23, 11, 59, tzinfo=UTC)


def test_minidump_form_fields_become_an_event() -> None:
    event = form_event({"sentry": '{"release": "a@1", "tags": {"x": "1"}}', "sentry[tags][consent]": "crash",
                        "sentry[user][id]": "u-9", "sentry[bad": "x", "other": "y"})
    assert event == {"release": "a@1", "tags": {"x": "1", "consent": "crash"}, "user": {"id": "u-9"}}
    assert form_event({"sentry": "not json"}) == {}


def test_form_event_from_native_and_electron_uploads() -> None:
    """As Relay assembles it: sentry-native's MessagePack `__sentry-event`, sentry-electron's chunked `sentry__N`
    JSON and its `sentry___initialScope` annotation; later sources win."""
    native = packed_event(msgspec.msgpack.encode({"release": "app@1.0", "level": "fatal",
                                                  "contexts": {"os": {"name": "Windows"}}}))
    assert native == {"release": "app@1.0", "level": "fatal", "contexts": {"os": {"name": "Windows"}}}
    assert packed_event(b"\xc1 not msgpack") == {} and packed_event(msgspec.msgpack.encode([1])) == {}
    whole = '{"release": "app@2.0", "environment": "prod", "tags": {"a": "1"}}'
    chunks = {"sentry__2": whole[20:], "sentry__1": whole[:20], "sentry__10": ""}
    scope = {"sentry___initialScope": '{"user": {"id": "u-1"}, "tags": {"b": "2"}}'}
    assert form_event(chunks | scope, native) == {"release": "app@2.0", "level": "fatal", "environment": "prod",
                                                  "contexts": {"os": {"name": "Windows"}}, "tags": {"b": "2"},
                                                  "user": {"id": "u-1"}}


_KEYS = st.sampled_from(["values", "type", "value", "stacktrace", "frames", "function", "module", "abs_path",
                         "lineno", "in_app", "crashed", "id", "name", "version", "os", "runtime", "consent",
                         "formatted", "category", "data", "state", "scopes"]) | st.text(max_size=8)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
                     max_leaves=30)
_FIELDS = ["event_id", "timestamp", "level", "release", "user", "tags", "contexts", "exception", "threads",
           "stacktrace", "message", "logentry", "breadcrumbs", "extra", "spans", "start_timestamp", "transaction"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(event=st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=8), sent_at=_json)
def test_any_json_maps_to_a_report_the_crash_steps_accept_or_refuse(event: dict[str, Any], sent_at: Any) -> None:
    limits = CrashLimitSettings()
    mapped = map_event(event, key=KEY, install=uuid.uuid4(), event_id=event_uuid(event.get("event_id")),
                       sent_at=sent_at, now=NOW, limits=limits)
    try:
        validate_crash(mapped.report, limits, LimitSettings(), NOW)
    except Refusal as refused:
        assert refused.code == "timestamp_out_of_range"  # anything else is a mapping bug
    markers(event)
    map_transaction(event, key=KEY, event_id=uuid.uuid4(), sent_at=sent_at, now=NOW, limits=LimitSettings())
