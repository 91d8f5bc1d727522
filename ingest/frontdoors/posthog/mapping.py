"""PostHog wire format → native shapes: body parsing, the key, and one outcome per event (kept or dropped).

Pure mapping (no I/O); routes.py hands what it returns to the pipeline (validate → redact → spool).
Rules (docs/sdks.md "PostHog SDKs" has the table):
- `distinct_id` → the pseudonymous install id (`ConsentRegistry.install_id`); the raw id is never kept.
- Profile events (`$set`, `$identify`, `$create_alias`, ...) and person properties (`$set`, `$set_once`, top level
  or inside properties) are dropped and counted; so are identifiers and network data (`$ip`, `$geoip_*`, ...).
- Event names outside the native pattern: `$name` → `posthog.name`, others lower-cased with every run of other
  characters turned into `_`. Property keys the same way. Nested objects are flattened to dotted keys down to
  MAX_DEPTH levels; lists and anything deeper are kept as JSON text (redacted as a JSON document: its own keys
  choose their treatments), or dropped as `long_property` past the string limit.
- URL properties (`$current_url`, `$pathname`, `$referrer`, ...) lose the path segments and query values that are
  ids (UUIDs, hashes, long numbers, random tokens: `/person/<uuid>` → `/person/[id]`), keeping the route shape;
  a string that is an id under a key naming one (`query.personid`) is dropped (`identifier_property`).
- `$exception` events become native crash reports (`exception_report`): the first entry of `$exception_list`, its
  frames innermost first; source context and code variables are never read.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import msgspec

from ingest.consent.registry import ConsentRegistry
from ingest.consent.sdk import refusal_reason
from ingest.errors import Refusal
from ingest.model import Consent, Context, Event, PropValue
from ingest.settings import ConsentScope, IngestKey, LimitSettings
from ingest.stages.decode import json_value
from ingest.stages.patterns import CONTEXT_VALUE, EVENT_NAME, PROP_KEY
from redact import Redactor

SDK = "posthog"
MAX_DEPTH = 3  # a.b.c: nested objects deeper than this are kept as JSON text
MAX_IDENTITY = 200  # the longest distinct_id mapped (as PUT /v1/installs/{identity}/consent accepts)
UNKNOWN = "unknown"  # context value when the event does not say ($app_version, $os)
_MEMO_LIMIT = 50_000
CLOCK_DRIFT_MIN = timedelta(minutes=55)  # as on the Sentry door: a smaller gap is latency, not a wrong clock
_EVENT_NS = uuid.UUID("5b0c2a5e-7f3e-4f57-9a57-3c1f0e6c9a11")  # event ids made for events without a uuid

# Events that only carry person / group profile data: dropped whole.
PROFILE_EVENTS = frozenset({
    "$set", "$set_once", "$unset", "$identify", "$create_alias", "$merge_dangerously", "$groupidentify",
    "$delete_person", "alias", "identify", "$alias",
})
# Person properties, top level or inside properties: dropped, counted person_properties.
PERSON_KEYS = frozenset({"$set", "$set_once", "$unset", "$group_set", "$groups", "$person_properties",
                         "$initial_person_info"})
# Identifiers and network data: dropped, counted identifier_property.
IDENTIFIER_KEYS = frozenset({"$ip", "distinct_id", "$distinct_id", "$anon_distinct_id", "$device_id", "$user_id",
                             "alias", "$window_id", "$raw_user_agent", "$useragent", "$user_agent",
                             "$pageview_id", "$prev_pageview_id"})
IDENTIFIER_PREFIXES = ("$geoip_", "$initial_geoip_")
# Transport details and fields mapped elsewhere (context, session, consent): dropped silently.
SILENT_KEYS = frozenset({"$lib", "$lib_version", "$os", "$os_version", "$app_version", "$device_type", "$consent",
                         "$session_id", "$process_person_profile", "$geoip_disable", "token", "api_key",
                         "$insert_id", "$time", "$sent_at", "$uuid", "$cookieless_mode", "$exception_list",
                         "$exception_fingerprint", "$exception_personURL"})
_NAME_CHARS = re.compile(r"[^a-z0-9]+")
# Markers for top-level keys that are not kept (never valid native keys: they hold a NUL).
_SILENT, _PERSON, _IDENTIFIER, _INVALID = "\0silent", "\0person", "\0identifier", "\0invalid"
_SCALARS = frozenset({bool, int, float})
ID_TOKEN = "[id]"  # what an id in a URL becomes (the redaction engine's token for per-install ids)
# An id in a URL path segment or query value: a UUID, a hex hash, a long number, or a random token (letters and
# digits mixed, 16+ characters, as posthog-js distinct ids and session tokens are).
_ID_SHAPE = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,}|[0-9]{6,}|(?=[A-Za-z_-]*[0-9])(?=[0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}")
_URL_KEY = re.compile(r"(?:^|[._])(?:url|href|uri|pathname|path|referrer|referer)$")
_ID_KEY = re.compile(r"(?:^|[._])[a-z_]*id$")  # personid, user_id, visitorId (keys are lower-cased here)
_URL_ID = re.compile(r"(?<=[/=])([^/?#&=;]+)(?=$|[/?#&;])")


def _is_id(text: str) -> bool:
    return _ID_SHAPE.fullmatch(text) is not None


def strip_url_ids(url: str) -> str:
    """A URL or path with its id-shaped path segments and query values replaced by `[id]`: the route stays
    (`/person/[id]?tab=events`), the identity goes. The scheme and host are left alone."""
    start = url.find("//")
    start = url.find("/", start + 2) if start >= 0 and url[:start].rstrip(":").isalpha() else 0
    if start < 0:
        return url
    head, rest = url[:start], url[start:]
    return head + _URL_ID.sub(lambda m: ID_TOKEN if _is_id(m.group(1)) else m.group(1), rest)


class Kept(msgspec.Struct, frozen=True):
    install_id: uuid.UUID
    context: Context
    event: Event


class Crash(msgspec.Struct, frozen=True):
    """A `$exception` event: `report` is the native crash report (plain objects, validated downstream)."""

    install_id: uuid.UUID
    report: dict[str, Any]


class Dropped(msgspec.Struct, frozen=True):
    reason: str  # a sdk_dropped reason label


Outcome = Kept | Crash | Dropped


def parse_body(plain: bytes, content_type: str) -> Any:
    """The JSON value of a capture / flags body: JSON, or a form with `data=` (JSON or base64 JSON, posthog-js)."""
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(plain.decode("utf-8"), max_num_fields=16)
        except (UnicodeDecodeError, ValueError):
            raise Refusal("malformed_body", "cannot parse the form body") from None
        data = (fields.get("data") or [""])[0].strip()
        plain = data.encode() if data[:1] in ("{", "[") else _unbase64(data)
    return json_value(plain)


def _unbase64(data: str) -> bytes:
    try:
        return base64.b64decode(data.replace(" ", "+") + "=" * (-len(data) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("malformed_body", "the form field data is neither JSON nor base64") from None


def capture_events(body: Any) -> tuple[str | None, list[Any]]:
    """(the key the body names, its events) for /batch/ ({batch, api_key}), /e/ and /capture/ (one event or a
    list of events; posthog-js puts the key in each event's properties.token)."""
    if isinstance(body, list):
        events, key = body, None
    elif isinstance(body, dict) and isinstance(body.get("batch"), list):
        events, key = body["batch"], _str(body.get("api_key")) or _str(body.get("token"))
    elif isinstance(body, dict) and "event" in body:
        events, key = [body], None
    else:
        raise Refusal("malformed_body", 'expected {"batch": [...], "api_key": ...}, one event or a list of events')
    if key is None:
        for event in events[:1]:
            key = event_key(event)
    return key, events


def event_key(event: Any) -> str | None:
    if not isinstance(event, dict):
        return None
    props = event.get("properties")
    in_props = props.get("token") if isinstance(props, dict) else None
    return _str(event.get("api_key")) or _str(event.get("token")) or _str(in_props)


def flags_key(body: Any) -> str | None:
    return (_str(body.get("api_key")) or _str(body.get("token"))) if isinstance(body, dict) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _uuid(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _timestamp(event: dict[str, Any], now: datetime, sent_at: datetime | None = None) -> datetime | None:
    """The event time. `sent_at` (when the client sent the request, by its own clock): a device clock off by
    CLOCK_DRIFT_MIN or more is corrected as PostHog does, `now + (timestamp - sent_at)`."""
    value = event.get("timestamp")
    if value is None:
        offset = event.get("offset")  # posthog-js without a timestamp: milliseconds before sending
        if isinstance(offset, int | float) and not isinstance(offset, bool) and 0 <= offset < 1e11:
            return now - timedelta(milliseconds=offset)
        return now
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None
    ts = ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)  # PostHog reads a naive time as UTC
    if sent_at is not None and abs(now - sent_at) >= CLOCK_DRIFT_MIN:
        try:
            return now + (ts - sent_at)
        except OverflowError:
            return None
    return ts


def _context_value(value: Any) -> str | None:
    return value if isinstance(value, str) and CONTEXT_VALUE.ok(value) else None


class Mapper:
    """Maps PostHog events for one worker; remembers name and key decisions (they repeat in every batch)."""

    def __init__(self, redactor: Redactor, registry: ConsentRegistry, limits: LimitSettings) -> None:
        self._redactor = redactor
        self._registry = registry
        self._limits = limits
        self._names: dict[str, str | None] = {}
        self._keys: dict[str, str | None] = {}
        self._top: dict[str, str] = {}

    # --- names and keys -------------------------------------------------------------------------------------
    def _personal(self, text: str) -> bool:
        return bool(self._redactor.redact_text(text).findings)

    def event_name(self, name: str) -> str | None:
        """The native name, or None when it cannot be one or carries personal data (e-mail, path, number...)."""
        if name in self._names:
            return self._names[name]
        mapped: str | None = None
        if len(name) <= 200 and not self._personal(name):
            if len(name) <= 128 and EVENT_NAME.ok(name):  # the pattern alone does not bound the length
                mapped = name
            else:
                body = _NAME_CHARS.sub("_", name.lstrip("$").lower()).strip("_")
                if body and not body[0].isalpha():
                    body = "e_" + body
                mapped = ("posthog." if name.startswith("$") else "") + body
                mapped = mapped if body and len(mapped) <= 128 and EVENT_NAME.ok(mapped) else None
        if len(self._names) < _MEMO_LIMIT:
            self._names[name] = mapped
        return mapped

    def prop_key(self, key: str, parent: str = "") -> str | None:
        """The native key of a property (`parent` is the already-mapped key of the enclosing object)."""
        memo = parent + "\0" + key
        if memo in self._keys:
            return self._keys[memo]
        mapped: str | None = None
        if len(key) <= 100 and not self._personal(key):
            if not parent and PROP_KEY.ok(key):
                mapped = key
            else:
                body = _NAME_CHARS.sub("_", key.lstrip("$").lower()).strip("_")
                if not parent:
                    if body and not body[0].isalpha():
                        body = "p_" + body
                    mapped = ("posthog." if key.startswith("$") else "") + body
                else:
                    mapped = parent + "." + body
                mapped = mapped if body and PROP_KEY.ok(mapped) else None
        if len(self._keys) < _MEMO_LIMIT:
            self._keys[memo] = mapped
        return mapped

    # --- properties -----------------------------------------------------------------------------------------
    def _top_key(self, key: str) -> str:
        """What a top-level property key becomes: its native key, or one of the _SILENT / _PERSON / _IDENTIFIER /
        _INVALID markers (remembered: the same few dozen keys arrive with every event)."""
        kind = self._top.get(key)
        if kind is None:
            if key in SILENT_KEYS:
                kind = _SILENT
            elif key in PERSON_KEYS:
                kind = _PERSON
            elif key in IDENTIFIER_KEYS or key.startswith(IDENTIFIER_PREFIXES):
                kind = _IDENTIFIER
            else:
                kind = self.prop_key(key) or _INVALID
            if len(self._top) < _MEMO_LIMIT:
                self._top[key] = kind
        return kind

    def props(self, props: Mapping[str, Any], dropped: Counter[str]) -> dict[str, PropValue]:
        """Native props: scalars kept (redaction comes later, in the native stage), the rest dropped and counted."""
        out: dict[str, PropValue] = {}
        for key, value in props.items():
            kind = self._top_key(key)
            if kind is _SILENT or value is None:
                continue
            if kind is _PERSON:
                dropped["person_properties"] += 1
            elif kind is _IDENTIFIER:
                dropped["identifier_property"] += 1
            elif kind is _INVALID:
                dropped["property_key"] += 1
            elif type(value) is str:
                self._text(out, kind, value, dropped)
            elif type(value) in _SCALARS:
                out[kind] = value
            else:
                self._add(out, key, value, "", 1, dropped)
        if len(out) > self._limits.max_props_per_event:
            dropped["too_many_properties"] += len(out) - self._limits.max_props_per_event
            out = dict(list(out.items())[:self._limits.max_props_per_event])
        return out

    def _text(self, out: dict[str, PropValue], name: str, value: str, dropped: Counter[str]) -> None:
        """A string prop: too long → dropped; an id under an id key → dropped; a URL → its ids replaced."""
        if len(value) > self._limits.max_string_length:
            dropped["long_property"] += 1
        elif _ID_KEY.search(name) and _is_id(value):
            dropped["identifier_property"] += 1
        elif _URL_KEY.search(name) and ("/" in value or "=" in value):
            out[name] = strip_url_ids(value)
        else:
            out[name] = value

    def _add(self, out: dict[str, PropValue], key: Any, value: Any, parent: str, depth: int,
             dropped: Counter[str]) -> None:
        if value is None:
            return
        name = self.prop_key(key, parent) if isinstance(key, str) else None
        if name is None:
            dropped["property_key"] += 1
        elif isinstance(value, dict) and depth < MAX_DEPTH:
            for sub_key, sub_value in value.items():
                self._add(out, sub_key, sub_value, name, depth + 1, dropped)
        elif isinstance(value, str):
            self._text(out, name, value, dropped)
        elif isinstance(value, bool | int | float):
            out[name] = value
        else:  # a list, or an object deeper than MAX_DEPTH: JSON text, redacted as a JSON document
            self._text(out, name, msgspec.json.encode(value).decode(), dropped)

    # --- events ---------------------------------------------------------------------------------------------
    def map_event(self, raw: Any, policy: IngestKey, key: str, now: datetime, dropped: Counter[str],
                  cache: dict[Any, Any] | None = None, *, sent_at: datetime | None = None) -> Outcome:
        """One event's outcome. Consent (key scopes, `$consent` marker, registry) is decided here, per event.
        `cache` (one dict per request) remembers install ids and consent decisions across the batch's events."""
        cache = {} if cache is None else cache
        if not isinstance(raw, dict):
            return Dropped("malformed_event")
        token = event_key(raw)
        if token is not None and token != key:
            return Dropped("key_mismatch")
        props = raw.get("properties")
        props = props if isinstance(props, dict) else {}
        name = raw.get("event")
        if not isinstance(name, str):
            return Dropped("malformed_event")
        if name in PROFILE_EVENTS:
            return Dropped("profile_event")
        identity = raw.get("distinct_id", props.get("distinct_id", props.get("$distinct_id")))
        if isinstance(identity, int) and not isinstance(identity, bool):
            identity = str(identity)
        if not isinstance(identity, str) or not 0 < len(identity) <= MAX_IDENTITY:
            return Dropped("no_distinct_id")
        install_id = cache.get(identity)
        if install_id is None:
            install_id = cache[identity] = self._registry.install_id(identity)
        scope: ConsentScope = "crash_report" if name == "$exception" else "telemetry"
        markers = [props["$consent"]] if "$consent" in props else []
        decided = (install_id, scope, markers[0] if markers and isinstance(markers[0], str | bool) else None)
        if markers and decided[2] is None:  # an object or list marker: decided afresh
            reason = refusal_reason(policy, scope, markers, self._registry, install_id)
        elif decided in cache:
            reason = cache[decided]
        else:
            reason = cache[decided] = refusal_reason(policy, scope, markers, self._registry, install_id)
        if reason:
            return Dropped(reason)
        ts = _timestamp(raw, now, sent_at)
        if ts is None:
            return Dropped("invalid_timestamp")
        if not (now - timedelta(days=self._limits.max_event_age_days) <= ts
                <= now + timedelta(seconds=self._limits.max_clock_skew_seconds)):
            return Dropped("timestamp_out_of_range")
        for person_key in ("$set", "$set_once", "$unset"):  # top-level person properties (v0)
            if person_key in raw:
                dropped["person_properties"] += 1
        context = Context(app=policy.app, app_version=_context_value(props.get("$app_version")) or UNKNOWN,
                          os=_context_value(props.get("$os")) or UNKNOWN,
                          os_version=_context_value(props.get("$os_version")),
                          device_type=_context_value(props.get("$device_type")))
        event_id = _uuid(raw.get("uuid")) or _made_id(install_id, raw)
        if scope == "crash_report":
            return Crash(install_id, exception_report(event_id, install_id, context, ts, props))
        native_name = self.event_name(name)
        if native_name is None:
            return Dropped("event_name")
        session = _uuid(props.get("$session_id"))
        return Kept(install_id, context, Event(event_id=event_id, name=native_name, ts=ts, session_id=session,
                                               props=self.props(props, dropped)))


def _made_id(install_id: uuid.UUID, raw: dict[str, Any]) -> uuid.UUID:
    """A stable id for an event sent without `uuid`, so a retried batch is still stored once."""
    body = {k: v for k, v in raw.items() if k != "distinct_id"}
    return uuid.uuid5(_EVENT_NS, str(install_id) + msgspec.json.encode(body, order="sorted").decode())


def _frame(frame: Any) -> dict[str, Any] | None:
    if not isinstance(frame, dict):
        return None
    out: dict[str, Any] = {"in_app": frame.get("in_app") is True}
    for native, names in (("function", ("function",)), ("module", ("module",)), ("file", ("abs_path", "filename"))):
        for wire in names:
            value = frame.get(wire)
            if isinstance(value, str) and value:
                out[native] = value[:2048] if native == "file" else value[:512]
                break
    line = frame.get("lineno")
    if isinstance(line, int) and not isinstance(line, bool) and 0 <= line < 2**32:
        out["line"] = line
    return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def exception_report(crash_id: uuid.UUID, install_id: uuid.UUID, context: Context, ts: datetime,
                     props: Mapping[str, Any], max_frames: int = 256) -> dict[str, Any]:
    """A native crash report (ingest/crash/model.py CrashReport, as plain objects) for a `$exception` event.

    The first `$exception_list` entry is the exception; its frames (PostHog sends them outermost first, like
    Sentry) are reversed so the innermost comes first, as native reports have them. Source lines (`pre_context`,
    `context_line`, `post_context`) and `code_variables` are never read."""
    entries = props.get("$exception_list")
    first = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
    kind = _text(first.get("type")) or None
    message = _text(first.get("value")) or ""
    if kind is None:  # older clients: $exception_type / $exception_message
        legacy_kind, legacy_message = _text(props.get("$exception_type")), _text(props.get("$exception_message"))
        kind = "Exception" if legacy_kind is None else legacy_kind
        message = message if legacy_message is None else legacy_message
    stack = first.get("stacktrace")
    raw_frames = stack.get("frames") if isinstance(stack, dict) else None
    frames = [f for f in map(_frame, raw_frames if isinstance(raw_frames, list) else []) if f is not None]
    frames = frames[::-1][:max_frames]
    extra: dict[str, Any] = {}
    for wire, native in (("$exception_level", "level"), ("$exception_source", "source")):
        value = props.get(wire)
        if isinstance(value, str) and 0 < len(value) <= 64:
            extra[native] = value
    mechanism = first.get("mechanism")
    if isinstance(mechanism, dict) and isinstance(mechanism.get("handled"), bool):
        extra["handled"] = mechanism["handled"]
    return {
        "crash_id": str(crash_id), "install_id": str(install_id),
        "consent": msgspec.to_builtins(Consent(crash_report="granted")),
        "context": msgspec.to_builtins(context), "exception": {"type": kind[:512], "message": message},
        "ts": ts.isoformat(), "threads": [{"crashed": True, "frames": frames}] if frames else [], "extra": extra,
    }
