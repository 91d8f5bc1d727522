"""Map Sentry events (sentry-sdk's JSON, wire.md §1.4) onto Consentry's native models, keeping only what is safe.

Pure functions, no I/O. What each Sentry field becomes (everything not listed is dropped unread):

* `exception.values[-1]` (the exception that was raised) → `exception.type` / `exception.message`; its
  `stacktrace.frames` (else the crashed thread's, else the top-level `stacktrace`) → the native crashing thread,
  innermost frame first: `module` (else `package`, a native frame's binary image), `function`, `abs_path` (else
  `filename`) as `file`, `lineno`, `in_app`. Frame `vars` (locals), `context_line` / `pre_context` /
  `post_context` (source) are dropped.
* no exception → a crash report of type `message.<level>` whose message is `logentry.formatted` / `message`.
* `release` (`pkg@1.2.3` → `1.2.3`) → `context.app_version`; `contexts.os.name/version` → `context.os` /
  `os_version`; the ingest key's `app` → `context.app`.
* `contexts`: only `KEEP_CONTEXT` fields (runtime / browser / device family and versions), into `extra`; `level`
  as `sentry.level`. Few on purpose: every `extra` value of a crash costs a deep-tier (NER) pass, ~10 ms.
* `tags`: only `KEEP_TAGS`, into `extra` as `tag.<key>`. `consent` and `install_id` are read, never stored.
* transactions also keep `environment`, `platform` and the runtime as props (events get the fast tier only).
* breadcrumbs: the `category` only, as an event name (when it fits the pattern); `message` and `data` dropped.
* `user.id` → the pseudonymous install id (`ConsentRegistry.install_id`); every other `user` field is dropped.
* dropped wholesale: `server_name` (a host name), `extra` (incl. `sys.argv`), `request`, `modules`,
  `logentry.params`, other threads, chained exceptions, `spans[].description` / `data`.

Every dropped field is counted in the returned findings as `sentry.drop.<what>`, stored in the row's
`redactions` like a redaction rule. What is kept still passes the crash / event redaction stages.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from ingest.consent.registry import ConsentRegistry
from ingest.errors import Refusal
from ingest.settings import CrashLimitSettings, IngestKey, LimitSettings
from ingest.stages.decode import json_value, msgpack_value
from ingest.stages.patterns import CONTEXT_VALUE, EVENT_NAME

# Item types the Python SDK (and others) send; used as the `type` metric label, anything else is "other".
ITEM_TYPES = frozenset({
    "event", "transaction", "attachment", "client_report", "session", "sessions", "check_in", "profile",
    "profile_chunk", "log", "otel_log", "trace_metric", "span", "otel_span", "replay_event", "replay_recording",
    "replay_video", "user_report", "feedback", "statsd", "metric_buckets", "nel", "raw_security", "minidump",
})
LEVELS = frozenset({"debug", "info", "warning", "error", "fatal"})
# (context, field) pairs kept, as extra key "<context>.<field>": build and platform descriptors only.
KEEP_CONTEXT: dict[str, tuple[str, ...]] = {
    "runtime": ("name", "version"), "browser": ("name", "version"), "device": ("family",), "app": ("app_build",),
}  # the OS name and version are already context.os / os_version
KEEP_TAGS = frozenset({"handled", "mechanism"})
MARKER_KEY = "consent"
INSTALL_TAG = "install_id"
MAX_EXTRA_VALUE = 128
CLOCK_DRIFT_MIN = timedelta(minutes=55)  # what Relay corrects: smaller drifts are normal latency
_OS_NAMES = {"linux": "linux", "darwin": "macos", "macos": "macos", "mac os x": "macos", "windows": "windows",
             "ios": "ios", "ipados": "ios", "android": "android"}
_CATEGORY = re.compile(r"[^a-z0-9_.]+")


class Mapped(msgspec.Struct):
    """A Sentry event as a native crash report (untyped, for validate_crash) plus what was dropped."""

    report: dict[str, Any]
    has_exception: bool
    dropped: Counter[str]


class MappedTransaction(msgspec.Struct):
    event_id: uuid.UUID
    ts: datetime
    context: dict[str, Any]
    props: dict[str, str | int | float | bool]
    dropped: Counter[str]


def item_label(kind: str) -> str:
    return kind if kind in ITEM_TYPES else "other"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def tags(event: dict[str, Any]) -> dict[str, Any]:
    """Sentry accepts tags as an object or as a list of [key, value] pairs."""
    raw = event.get("tags")
    if isinstance(raw, list):
        return {str(p[0]): p[1] for p in raw if isinstance(p, list | tuple) and len(p) == 2}
    return _dict(raw)


def markers(event: dict[str, Any]) -> list[Any]:
    """Every consent marker the event carries: `tags.consent` and `contexts.consent` (each must grant)."""
    found: list[Any] = []
    tag = tags(event).get(MARKER_KEY)
    if tag is not None:
        found.append(tag)
    context = _dict(event.get("contexts")).get(MARKER_KEY)
    if isinstance(context, dict):  # SDKs other than Python add the context's own "type"
        context = {k: v for k, v in context.items() if k != "type"}
    if context is not None:
        found.append(context)
    return found


def install_id(event: dict[str, Any], registry: ConsentRegistry) -> tuple[uuid.UUID, bool]:
    """The install id and whether it came from the event: `user.id`, else tag `install_id`, else a fresh UUID
    per event (a personless event; affected-install counts then over-count such crashes)."""
    user_id = _text(_dict(event.get("user")).get("id"))
    if not user_id:
        user_id = _text(tags(event).get(INSTALL_TAG))
    if user_id:
        return registry.install_id(user_id[:200]), True
    return uuid.uuid4(), False


def parse_time(value: Any) -> datetime | None:
    """A Sentry timestamp: RFC 3339 text or seconds since the epoch."""
    try:
        if isinstance(value, str):
            when = datetime.fromisoformat(value)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def event_time(value: Any, sent_at: Any, now: datetime) -> datetime:
    """The event time, corrected for the device's clock drift when the envelope says when it was sent (as Relay
    does: a drift under 55 minutes is latency, not a wrong clock)."""
    when = parse_time(value) or now
    sent = parse_time(sent_at)
    if sent is not None and abs(now - sent) >= CLOCK_DRIFT_MIN:
        try:
            when += now - sent
        except OverflowError:  # nonsense on both clocks: the shared steps refuse the time window
            return datetime.min.replace(tzinfo=UTC)
    return when


def _context(event: dict[str, Any], key: IngestKey) -> dict[str, Any]:
    release = _text(event.get("release")) or ""
    version = release.rsplit("@", 1)[-1]
    os_context = _dict(_dict(event.get("contexts")).get("os"))
    os_raw = (_text(os_context.get("name")) or "").strip().lower()
    os_name = _OS_NAMES.get(os_raw) or (os_raw if os_raw and CONTEXT_VALUE.ok(os_raw) else "unknown")
    context: dict[str, Any] = {"app": key.app, "app_version": version if version and CONTEXT_VALUE.ok(version)
                               else "0", "os": os_name}
    os_version = _text(os_context.get("version"))
    if os_version and CONTEXT_VALUE.ok(os_version):
        context["os_version"] = os_version
    return context


def _kept(event: dict[str, Any], dropped: Counter[str], *, described: bool = False) -> dict[str, str | bool]:
    """The allowlisted context fields and tags (scalars, shortened); the rest is counted as dropped.
    `described`: also the event's platform, environment, logger and SDK name (kept for transactions)."""
    extra: dict[str, str | bool] = {}
    for name, value in _dict(event.get("contexts")).items():
        if name == MARKER_KEY:
            continue
        fields = _dict(value)
        keep = KEEP_CONTEXT.get(name, ())
        for field, item in fields.items():
            text = _text(item)
            if field in keep and text:
                extra[f"{name}.{field}"] = text[:MAX_EXTRA_VALUE]
            elif field != "type":
                dropped["sentry.drop.contexts"] += 1
    for tag, value in tags(event).items():
        text = _text(value)
        if tag in KEEP_TAGS and text:
            extra[f"tag.{tag}"] = text[:MAX_EXTRA_VALUE]
        elif tag not in (MARKER_KEY, INSTALL_TAG):
            dropped["sentry.drop.tags"] += 1
    level = _text(event.get("level"))
    if level in LEVELS:
        extra["sentry.level"] = level
    if not described:
        return extra
    for field in ("platform", "environment", "logger"):
        text = _text(event.get(field))
        if text:
            extra[f"sentry.{field}"] = text[:MAX_EXTRA_VALUE]
    sdk = _text(_dict(event.get("sdk")).get("name"))
    if sdk:
        extra["sentry.sdk"] = sdk[:MAX_EXTRA_VALUE]
    return extra


def _count_dropped(event: dict[str, Any], dropped: Counter[str]) -> None:
    """Fields dropped wholesale, whatever they hold."""
    if event.get("server_name"):
        dropped["sentry.drop.server_name"] += 1
    for field in _dict(event.get("user")):
        if field != "id":
            dropped["sentry.drop.user"] += 1
    if extra := _dict(event.get("extra")):
        dropped["sentry.drop.extra"] += len(extra)
    for field in ("request", "modules", "spans", "measurements"):
        if event.get(field):
            dropped[f"sentry.drop.{field}"] += 1
    if _dict(event.get("logentry")).get("params"):
        dropped["sentry.drop.params"] += 1


def _frames(stacktrace: dict[str, Any], limit: int, dropped: Counter[str]) -> list[dict[str, Any]]:
    """Native frames, innermost first (Sentry sends the oldest first); locals and source never leave here."""
    raw = stacktrace.get("frames")
    out: list[dict[str, Any]] = []
    for frame in reversed(raw if isinstance(raw, list) else []):
        if not isinstance(frame, dict):
            continue
        if frame.get("vars"):
            dropped["sentry.drop.vars"] += 1
        if frame.get("context_line") or frame.get("pre_context") or frame.get("post_context"):
            dropped["sentry.drop.source"] += 1
        line = frame.get("lineno")
        path = _text(frame.get("abs_path")) or _text(frame.get("filename"))
        module = _text(frame.get("module")) or _text(frame.get("package"))  # native: the binary image
        out.append({"function": (_text(frame.get("function")) or "")[:512] or None,
                    "module": (module or "")[:512] or None,
                    "file": path[:2048] if path else None,
                    "line": line if type(line) is int and 0 <= line < 2**32 else None,
                    "in_app": frame.get("in_app") is True})
    if len(out) > limit:
        dropped["sentry.drop.frames"] += len(out) - limit
    return out[:limit]


def _exception(event: dict[str, Any]) -> dict[str, Any] | None:
    """The exception that was raised: the last of `exception.values` (earlier ones are its causes)."""
    raw = event.get("exception")
    values = raw.get("values") if isinstance(raw, dict) else raw
    candidates = [v for v in values if isinstance(v, dict) and (v.get("type") or v.get("value"))] \
        if isinstance(values, list) else []
    return candidates[-1] if candidates else None


def _thread_stack(event: dict[str, Any]) -> dict[str, Any]:
    threads = event.get("threads")
    values = threads.get("values") if isinstance(threads, dict) else threads
    values = [t for t in values if isinstance(t, dict)] if isinstance(values, list) else []
    chosen = next((t for t in values if t.get("crashed")), None) or next(
        (t for t in values if t.get("current")), None) or (values[0] if values else None)
    stack = _dict(chosen.get("stacktrace")) if chosen else {}
    return stack or _dict(event.get("stacktrace"))


def message_text(event: dict[str, Any]) -> str:
    logentry = _dict(event.get("logentry"))
    message = event.get("message")
    for value in (logentry.get("formatted"), logentry.get("message"), message,
                  _dict(message).get("formatted"), _dict(message).get("message")):
        if isinstance(value, str) and value:
            return value
    return ""


def _breadcrumbs(event: dict[str, Any], limit: int, dropped: Counter[str]) -> list[str]:
    raw = event.get("breadcrumbs")
    values = raw.get("values") if isinstance(raw, dict) else raw
    names: list[str] = []
    for crumb in values if isinstance(values, list) else []:
        if not isinstance(crumb, dict):
            continue
        if crumb.get("message") or crumb.get("data"):
            dropped["sentry.drop.breadcrumbs"] += 1
        name = _CATEGORY.sub("_", (_text(crumb.get("category")) or _text(crumb.get("type")) or "").lower())
        if name and len(name) <= 128 and EVENT_NAME.ok(name):
            names.append(name)
    return names[-limit:] if limit else []


def map_event(event: dict[str, Any], *, key: IngestKey, install: uuid.UUID, event_id: uuid.UUID,
              sent_at: Any, now: datetime, limits: CrashLimitSettings, has_dump: bool = False) -> Mapped:
    """A Sentry error or message event as the `report` of a native crash upload."""
    dropped: Counter[str] = Counter()
    _count_dropped(event, dropped)
    exception = _exception(event)
    if exception is not None:
        kind = (_text(exception.get("type")) or "Error")[:512]
        message = _text(exception.get("value")) or ""
        stack = _dict(exception.get("stacktrace")) or _thread_stack(event)
        if len([v for v in _dict(event.get("exception")).get("values") or [] if isinstance(v, dict)]) > 1:
            dropped["sentry.drop.chained"] += 1
    else:
        level = _text(event.get("level"))
        kind = "NativeCrash" if has_dump else f"message.{level if level in LEVELS else 'error'}"
        message, stack = message_text(event), _thread_stack(event)
    if len(message) > limits.max_message_length:
        message = message[:limits.max_message_length]
        dropped["sentry.drop.message_tail"] += 1
    frames = _frames(stack, limits.max_frames, dropped)
    report: dict[str, Any] = {
        "crash_id": str(event_id), "install_id": str(install),
        "consent": {"crash_report": "granted"},  # decided by the key, markers and registry before this
        "context": _context(event, key),
        "exception": {"type": kind, "message": message},
        "ts": event_time(event.get("timestamp"), sent_at, now).isoformat(),
        "threads": [{"crashed": True, "frames": frames}] if frames else [],
        "breadcrumbs": _breadcrumbs(event, limits.max_breadcrumbs, dropped),
        "extra": _kept(event, dropped),
    }
    return Mapped(report, exception is not None, dropped)


def map_transaction(event: dict[str, Any], *, key: IngestKey, event_id: uuid.UUID, sent_at: Any,
                    now: datetime, limits: LimitSettings) -> MappedTransaction:
    """A performance transaction as one native event `sentry.transaction`; span descriptions never leave here."""
    dropped: Counter[str] = Counter()
    _count_dropped(event, dropped)
    extra = _kept(event, dropped, described=True)
    end = parse_time(event.get("timestamp"))
    start = parse_time(event.get("start_timestamp")) or end
    trace = _dict(_dict(event.get("contexts")).get("trace"))
    props: dict[str, str | int | float | bool] = {
        "transaction": (_text(event.get("transaction")) or "")[:limits.max_string_length],
        "duration_ms": round((end - start).total_seconds() * 1000, 3) if start and end else 0.0,
        "span_count": len(event["spans"]) if isinstance(event.get("spans"), list) else 0,
    }
    for field in ("op", "status"):
        if text := _text(trace.get(field)):
            props[field] = text[:limits.max_string_length]
    for name, value in extra.items():
        if name in ("sentry.environment", "sentry.platform", "runtime.name", "runtime.version"):
            props[name] = value
    return MappedTransaction(event_id, event_time(event.get("start_timestamp") or event.get("timestamp"),
                                                  sent_at, now), _context(event, key), props, dropped)


def event_uuid(value: Any) -> uuid.UUID:
    """Sentry's 32-hex event id as a UUID (a retried envelope keeps its id, so it is stored once)."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    return uuid.uuid4()


_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


_CHUNK = re.compile(r"sentry__(\d{1,3})")
INITIAL_SCOPE = "sentry___initialScope"  # sentry-electron: the scope as Crashpad annotations (JSON)
EVENT_PART = "__sentry-event"  # sentry-native's Crashpad backend: the event as a MessagePack file part
BREADCRUMB_PARTS = frozenset({"__sentry-breadcrumb1", "__sentry-breadcrumb2"})  # MessagePack, dropped unread


def _object(decode: Callable[[bytes], Any], data: bytes) -> dict[str, Any]:
    """A form field's object through the bounded decoders; not one (bad syntax, a nesting bomb, an array): {},
    the field is ignored like any field the form cannot use."""
    try:
        value = decode(data)
    except Refusal:
        return {}
    return value if isinstance(value, dict) else {}


def packed_event(data: bytes) -> dict[str, Any]:
    """sentry-native's `__sentry-event` part: the event as MessagePack ({} when it is not one)."""
    return _object(msgpack_value, data)


def form_event(fields: dict[str, str], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event of a minidump upload, as Relay assembles it: `base` (sentry-native's `__sentry-event`), the
    `sentry` field (JSON) or its `sentry__1`, `sentry__2`, ... chunks (sentry-electron), the
    `sentry___initialScope` annotation (sentry-electron: release, user, tags, contexts), then `sentry[a][b]=value`
    fields; later sources win."""
    event: dict[str, Any] = dict(base or {})
    chunks = sorted((int(m.group(1)), value) for name, value in fields.items() if (m := _CHUNK.fullmatch(name)))
    if "sentry" in fields:
        event.update(_object(json_value, fields["sentry"].encode()))
    elif chunks:
        event.update(_object(json_value, "".join(value for _, value in chunks).encode()))
    if INITIAL_SCOPE in fields:
        event.update(_object(json_value, fields[INITIAL_SCOPE].encode()))
    for name, value in fields.items():
        if not name.startswith("sentry["):
            continue
        path = _BRACKETS.findall(name[len("sentry"):])
        if not path or "".join(f"[{p}]" for p in path) != name[len("sentry"):]:
            continue
        target = event
        for part in path[:-1]:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[path[-1]] = value
    return event
