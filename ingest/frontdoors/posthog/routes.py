"""The PostHog front door: an app using an unmodified PostHog client (posthog-python, posthog-js) points its host
here and gets the native API's guarantees. See docs/sdks.md and tests/fixtures/sdk/wire.md section 2.

- v0 `POST /batch/`, `/capture/`, `/e/`, `/i/v0/e/`: the key (`api_key` or `token`) is inside the body, so the
  body is read (capped), decompressed (capped) and parsed before the key is known; answers exactly `200
  {"status": 1}` (posthog-python retries a 202).
- v1 `POST /i/v1/analytics/events`: `Authorization: Bearer <key>` is checked before the body is read; answers
  `200 {"results": {"<uuid>": {"result": "ok" | "drop"}}}`.
- `POST /flags/`, `/decide/`, `GET /array/{key}/config`: key checked, an empty flag set and a remote config that
  turns session recording (and the other features that would send content: heatmaps, surveys) off.
- `POST /s/` (session recordings, posthog-js / -android / -ios): never stored, never read: screen recordings are
  user content. Answered `200 {"status": 1}` (a 4xx / 5xx only makes the SDK retry) and counted as
  consentry_sdk_dropped_total{sdk="posthog",reason="session_recording"}; the config answers keep SDKs that ask
  from recording at all.

Each event is mapped (mapping.py), consent is decided per event (key, `$consent` marker, registry);
the events kept are grouped per install and run through the native validate → redact stages, and each install's
rows are spooled as one record (the spool's unit). Refused and unmappable events are answered as success (so the
client does not retry them), counted in consentry_sdk_dropped_total{sdk="posthog",reason}, never stored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from aiohttp import web

from ingest.consent.sdk import authorize
from ingest.crash.model import CrashUpload
from ingest.errors import Refusal
from ingest.frontdoors.posthog.mapping import SDK, Crash, Kept, Mapper, capture_events, flags_key, parse_body
from ingest.model import Consent, Context, Event, EventBatch
from ingest.settings import IngestKey
from ingest.stages.decode import decompress, read_body
from ingest.stages.pipeline import accept_crash, accept_installs, admit
from ingest.stages.redact_crash import DeepBudget
from ingest.state import INTAKE, SETTINGS

MAPPER = web.AppKey("posthog_mapper", Mapper)
V0_OK = b'{"status":1}'
# Recording, heatmaps and surveys off: each would send user content (screens, pointer trails, free-text answers).
_OFF = (b'"sessionRecording":false,"heatmaps":false,"surveys":false,"capturePerformance":false,'
        b'"autocaptureExceptions":false,"siteApps":[],"supportedCompression":["gzip","gzip-js"]')
FLAGS_ANSWER = (b'{"flags":{},"errorsWhileComputingFlags":false,"featureFlags":{},"featureFlagPayloads":{},'
                + _OFF + b'}')
CONFIG_ANSWER = b'{"hasFeatureFlags":false,' + _OFF + b'}'
FORM = "application/x-www-form-urlencoded"
GZIP_MAGIC = b"\x1f\x8b\x08"  # what PostHog capture checks: gzip is detected, the marker is not trusted
_CONSENTED = Consent(telemetry="granted")
# Refusals of one $exception event that drop it (counted) rather than fail the whole mixed batch.
CRASH_DROPPED = frozenset({"timestamp_out_of_range", "consent_denied", "consent_withdrawn", "invalid_field",
                           "too_many_frames"})


class Result(msgspec.Struct, frozen=True, omit_defaults=True):
    result: str
    details: str | None = None


class Results(msgspec.Struct, frozen=True):
    results: dict[str, Result]


async def _plain_body(request: web.Request) -> bytes:
    """The body with its compression undone, both sizes capped. `Content-Encoding` is followed; without one, a
    body that starts with gzip's magic bytes is gzip whatever the `?compression=` marker says (posthog-js sends
    gzip without the marker and the marker on plain bodies; PostHog capture detects, so does this)."""
    limits = request.app[INTAKE].limits
    body = await read_body(request, limits.max_body_bytes)
    encoding = request.headers.get("Content-Encoding")
    if request.query.get("compression", "").lower() == "lz64":
        raise Refusal("unsupported_encoding", "compression=lz64 is not supported; use gzip-js or none")
    if encoding is None and body.startswith(GZIP_MAGIC):
        encoding = "gzip"
    return decompress(body, encoding, limits.max_decompressed_bytes)


def _sent_at(request: web.Request, body: Any) -> datetime | None:
    """When the client sent the request, by its own clock: the body's `sent_at` (posthog-python, -android,
    -ios batches) or posthog-js's `_` query parameter (milliseconds since the epoch)."""
    sent = body.get("sent_at") if isinstance(body, dict) else None
    if isinstance(sent, str) and len(sent) <= 64:
        try:
            when = datetime.fromisoformat(sent)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            pass
    value = request.query.get("_", "")
    if not value.isdigit() or len(value) > 15:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


async def _accept(request: web.Request, policy: IngestKey, key: str, events: list[Any],
                  sent_at: datetime | None = None) -> list[tuple[Any, str]]:
    """Map and consent-check each event, then hand the kept ones to the pipeline grouped per install, and each
    $exception event as a crash; returns (uuid as sent, "ok" | drop reason) per event. Raises only for what should
    fail the whole request (too many events, rate limit, spool)."""
    intake = request.app[INTAKE]
    limits, metrics = intake.limits, intake.metrics
    if len(events) > limits.max_events_per_batch:
        raise Refusal("too_many_events", f"{len(events)} events exceed the limit of {limits.max_events_per_batch}")
    now = datetime.now(UTC)
    mapper = request.app[MAPPER]
    dropped: Counter[str] = Counter()
    outcomes: list[tuple[Any, str, Any]] = []  # (uuid as sent, "ok" | reason, install id when kept)
    groups: dict[Any, dict[Context, list[Event]]] = defaultdict(lambda: defaultdict(list))
    crashes: list[tuple[int, Crash]] = []  # (index in outcomes, the $exception event's crash report)
    cache: dict[Any, Any] = {}
    for raw in events:
        outcome = mapper.map_event(raw, policy, key, now, dropped, cache, sent_at=sent_at)
        sent_id = raw.get("uuid") if isinstance(raw, dict) else None
        if isinstance(outcome, Kept):
            metrics.sdk_items.labels(SDK, "event").inc()
            groups[outcome.install_id][outcome.context].append(outcome.event)
            outcomes.append((sent_id, "ok", outcome.install_id))
            continue
        if isinstance(outcome, Crash):
            metrics.sdk_items.labels(SDK, "exception").inc()
            crashes.append((len(outcomes), outcome))
            outcomes.append((sent_id, "ok", None))
            continue
        metrics.sdk_items.labels(SDK, "profile" if outcome.reason == "profile_event" else "event").inc()
        dropped[outcome.reason] += 1
        outcomes.append((sent_id, outcome.reason, None))
    batches = {install_id: [EventBatch(install_id, _CONSENTED, context, kept) for context, kept in by_context.items()]
               for install_id, by_context in groups.items()}
    withdrawn = await accept_installs(intake, batches, now)
    for install_id in withdrawn:
        dropped["consent_withdrawn"] += sum(len(batch.events) for batch in batches[install_id])
    budget = DeepBudget(intake.crash_limits.deep_chars_per_request)  # one for the whole request
    for index, crash in crashes:  # each through the pipeline's crash path, like POST /v1/crashes
        try:
            await accept_crash(intake, CrashUpload(SDK, crash.report, None, []), budget=budget)
        except Refusal as refusal:
            if refusal.code not in CRASH_DROPPED:
                raise
            dropped[refusal.code] += 1
            outcomes[index] = (outcomes[index][0], refusal.code, None)
    for reason, count in dropped.items():
        metrics.sdk_dropped.labels(SDK, reason).inc(count)
    return [(sent, "consent_withdrawn" if install_id in withdrawn else result)
            for sent, result, install_id in outcomes]


async def post_capture_v0(request: web.Request) -> web.Response:
    admit(request.app[INTAKE], request.remote)
    if request.method == "GET":  # an image beacon: the payload is the `data` query parameter, as a form sends it
        limits = request.app[INTAKE].limits
        data = request.query.get("data", "")
        if len(data) > limits.max_body_bytes:
            raise Refusal("body_too_large", f"the data parameter is over {limits.max_body_bytes} bytes")
        body = parse_body(urlencode({"data": data}).encode(), FORM)
    else:
        body = parse_body(await _plain_body(request), request.content_type)
    key, events = capture_events(body)
    policy = authorize(request.app[SETTINGS], key)
    await _accept(request, policy, key or "", events, _sent_at(request, body))
    return web.Response(status=200, body=V0_OK, content_type="application/json")


async def post_capture_v1(request: web.Request) -> web.Response:
    key = _bearer(request)
    policy = authorize(request.app[SETTINGS], key)  # before a byte of the body is read
    admit(request.app[INTAKE], request.remote)
    body = parse_body(await _plain_body(request), request.content_type)
    events = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise Refusal("malformed_body", 'expected {"batch": [...]}')
    outcomes = await _accept(request, policy, key or "", events, _sent_at(request, body))
    results = {sent: Result("ok") if result == "ok" else Result("drop", result)
               for sent, result in outcomes if isinstance(sent, str)}
    return web.Response(status=200, body=msgspec.json.encode(Results(results)), content_type="application/json")


async def post_flags(request: web.Request) -> web.Response:
    """Feature flags are not a Consentry feature: an empty, valid answer after key auth. The body (person and
    group properties are personal data) is parsed for the key only, never logged or stored."""
    intake = request.app[INTAKE]
    intake.client_limiter.check(request.remote or "unknown")  # nothing is spooled: a full spool is no reason
    key = request.query.get("token")
    if key is None:
        key = flags_key(parse_body(await _plain_body(request), request.content_type))
    authorize(request.app[SETTINGS], key)
    intake.metrics.sdk_items.labels(SDK, "flags").inc()
    return web.Response(status=200, body=FLAGS_ANSWER, content_type="application/json")


async def get_config(request: web.Request) -> web.Response:
    """Remote config (`GET /array/{key}/config`, posthog-js and the mobile SDKs): everything that would send
    content turned off, session recording first."""
    intake = request.app[INTAKE]
    intake.client_limiter.check(request.remote or "unknown")
    authorize(request.app[SETTINGS], request.match_info["key"])
    intake.metrics.sdk_items.labels(SDK, "config").inc()
    return web.Response(status=200, body=CONFIG_ANSWER, content_type="application/json")


async def get_config_js(request: web.Request) -> web.Response:
    """The same config as the script posthog-js loads (`/array/{key}/config.js`), in PostHog's shape."""
    response = await get_config(request)
    key = msgspec.json.encode(request.match_info["key"]).decode()  # a known key (checked above), JSON-quoted
    script = ("(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};"
              f"window._POSTHOG_REMOTE_CONFIG[{key}]={{config:{CONFIG_ANSWER.decode()},siteApps:[]}}}})();")
    return web.Response(status=response.status, text=script, content_type="application/javascript")


async def post_recording(request: web.Request) -> web.Response:
    """Session recordings are screen content: never read, never stored. Answered as PostHog answers a stored
    one (`200 {"status": 1}`), so the SDK neither retries nor keeps the data, and counted."""
    intake = request.app[INTAKE]
    intake.client_limiter.check(request.remote or "unknown")
    await request.release()  # discard the body unread
    intake.metrics.sdk_items.labels(SDK, "recording").inc()
    intake.metrics.sdk_dropped.labels(SDK, "session_recording").inc()
    return web.Response(status=200, body=V0_OK, content_type="application/json")


def setup_posthog(app: web.Application) -> None:
    intake = app[INTAKE]
    app[MAPPER] = Mapper(intake.redactor, intake.registry, intake.limits)
    for path in ("/batch", "/capture", "/e", "/i/v0/e", "/track", "/engage"):  # /engage: old posthog-js $set
        for route in (path, path + "/"):
            app.router.add_post(route, post_capture_v0)
            app.router.add_get(route, post_capture_v0)  # image beacons (GET ?data=), as PostHog capture serves
    app.router.add_post("/i/v1/analytics/events", post_capture_v1)
    for path in ("/flags", "/decide"):
        app.router.add_post(path, post_flags)
        app.router.add_post(path + "/", post_flags)
    app.router.add_post("/s", post_recording)
    app.router.add_post("/s/", post_recording)
    app.router.add_get("/array/{key}/config", get_config)
    app.router.add_get("/array/{key}/config.js", get_config_js)
