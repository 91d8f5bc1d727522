"""The Sentry front door: an app using the unmodified `sentry-sdk` points its DSN here and gets the native
privacy guarantees (see docs/sdks.md "Sentry SDKs" and mapping.py for what each field becomes).

POST /api/{project}/envelope/ and POST /api/{project}/minidump/, optionally under a path prefix. The ingest key
(`X-Sentry-Auth: Sentry sentry_key=...` or `?sentry_key=`) is decided before the body is read; consent is then
decided per event (key scopes, markers, registry; stricter wins). Errors, messages and minidumps then go through
the pipeline as POST /v1/crashes does (`accept_crash`), transactions as POST /v1/events does (`accept_events`).

Replies follow what the SDK does with them (wire.md §1.6): 200 `{"id": ...}` for accepted and for consent-dropped
events (the SDK never retries a 2xx); 401 for an unknown key; 413 past the size caps; 429 with `Retry-After` and
`X-Sentry-Rate-Limits` when rate-limited. A refusal decided by the key itself also answers
`X-Sentry-Rate-Limits: 86400:<categories>:project:consent`, so the SDK stops sending that category for a day.
Per-event and per-user refusals (markers, the consent registry) do not: one user's denial must not stop the
SDK process from sending the crashes of every other user.
"""

from __future__ import annotations

import base64
import binascii
import functools
import uuid
import zlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from ingest.consent.sdk import authorize, refusal_reason
from ingest.crash.model import CRASHPAD_DUMP, Attachment, CrashUpload, Minidump
from ingest.crash.multipart import Part, PartLimit, PartLimits
from ingest.errors import Refusal
from ingest.frontdoors.sentry.envelope import Item, parse_envelope
from ingest.frontdoors.sentry.mapping import (
    BREADCRUMB_PARTS,
    EVENT_PART,
    event_uuid,
    form_event,
    install_id,
    item_label,
    map_event,
    map_transaction,
    markers,
    packed_event,
)
from ingest.metrics import Metrics
from ingest.middleware import refusal_response
from ingest.model import Consent, Context, Decoded, Event, EventBatch
from ingest.settings import CrashLimitSettings, IngestKey
from ingest.stages.decode import decompress, discard_parts, json_value, part_dump, read_body, read_form
from ingest.stages.pipeline import Intake, accept_crash, accept_events, admit
from ingest.state import INTAKE, METRICS, SETTINGS
from storage.objects import StagedObject

SDK = "sentry"
SOURCE = "sentry"  # crashes.source and consentry_crashes_accepted_total{source}
TRANSACTION_EVENT = "sentry.transaction"
CRASH_CATEGORIES = "error;default;attachment"
TELEMETRY_CATEGORIES = "transaction;span"
CONSENT_LIMIT_S = 86_400
ONLY_COUNTED = frozenset({"client_report", "session", "sessions"})  # SDK bookkeeping: counted, never stored
# Refusals of the shared pipeline that a Sentry client gets as "200, dropped": retrying cannot help, and a 4xx
# would only be logged by the SDK. Counted in consentry_sdk_dropped_total{reason=<code>}.
DROPPED_CODES = frozenset({"timestamp_out_of_range", "consent_denied", "consent_withdrawn"})
MAX_FIELD_BYTES = 64 << 10
# Attachments that hold what was on the screen (sentry-cocoa, -android, -flutter): dropped unread, counted.
SCREEN_ATTACHMENTS = frozenset({"event.view_hierarchy"})
MAX_LEGACY_BYTES = 8 << 20  # a decompressed legacy store body (base64 + zlib): past this, 413


class Reply:
    """The X-Sentry-Rate-Limits entries a response carries."""

    def __init__(self) -> None:
        self.limits: list[str] = []

    def block(self, categories: str, reason: str) -> None:
        entry = f"{CONSENT_LIMIT_S}:{categories}:project:{reason}"
        if entry not in self.limits:
            self.limits.append(entry)

    def headers(self) -> dict[str, str]:
        return {"X-Sentry-Rate-Limits": ", ".join(self.limits)} if self.limits else {}


def sentry_key(request: web.Request) -> str | None:
    """The DSN public key: `X-Sentry-Auth` (what sentry-sdk sends), `Authorization: Sentry ...`, or the
    `sentry_key` query parameter (browser SDKs, minidump uploads)."""
    header = request.headers.get("X-Sentry-Auth") or ""
    if not header and request.headers.get("Authorization", "").lower().startswith("sentry "):
        header = request.headers["Authorization"]
    if header.lower().startswith("sentry "):
        header = header[7:]
    for pair in header.split(","):
        name, _, value = pair.strip().partition("=")
        if name.strip() == "sentry_key" and value.strip():
            return value.strip()
    return request.query.get("sentry_key")


def _dropped(metrics: Metrics, reason: str, count: int = 1) -> None:
    metrics.sdk_dropped.labels(SDK, reason).inc(count)


def sentry_replies(handler: Callable[[web.Request], Awaitable[web.Response]]) -> Callable[
        [web.Request], Awaitable[web.Response]]:
    """A 429 also carries `X-Sentry-Rate-Limits` (all categories), which the SDK honours on any status."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except Refusal as refusal:
            if refusal.code != "rate_limited":
                raise
            response = refusal_response(refusal)
            response.headers["X-Sentry-Rate-Limits"] = f"{refusal.retry_after or 60}::key:rate_limited"
            request.app[METRICS].refusals.labels(refusal.code).inc()
            return response

    return wrapped


async def _admitted_body(request: web.Request,
                         body_key: Callable[[bytes], str | None] | None = None) -> tuple[IngestKey, bytes]:
    """Key first (401 before a byte is read), then back-pressure and the client's rate, then the bounded body.
    Caps: crash_limits.max_upload_bytes on the wire and again after Content-Encoding (gzip, br, deflate, zstd).
    `body_key`: where a request without a key in its headers or query carries it in the body (an envelope's
    `dsn` header, as tunnels and browser SDKs send): only then is the key decided after the body is read."""
    settings = request.app[SETTINGS]
    key = sentry_key(request)
    policy = authorize(settings, key) if key is not None or body_key is None else None
    intake = request.app[INTAKE]
    admit(intake, request.remote)
    cap = intake.crash_limits.max_upload_bytes
    try:
        body = await read_body(request, cap)
        plain = decompress(body, request.headers.get("Content-Encoding"), cap)
    except Refusal:
        if policy is None:  # no key anywhere we could read: the missing key is the answer, not the body
            authorize(settings, None)
        raise
    return policy or authorize(settings, body_key(plain) if body_key is not None else None), plain


def _json(item: Item, limit: int) -> dict[str, Any]:
    if len(item.payload) > limit:
        raise Refusal("part_too_large", f"the {item.type} item is {len(item.payload)} bytes, over {limit}")
    value = json_value(item.payload, f"the {item.type} item")
    if not isinstance(value, dict):
        raise Refusal("malformed_body", f"the {item.type} item must be a JSON object")
    return value


def _files(files: Sequence[tuple[bool, Minidump]], limits: CrashLimitSettings,
           metrics: Metrics) -> tuple[Minidump | None, list[Attachment]]:
    """(is minidump, bytes) → the minidump and the text attachments, as the native upload limits them; what does
    not fit is dropped and counted (the event itself is still kept). A minidump may be staged in the object store
    (the minidump endpoint's part, capped while it was read); attachments are bytes."""
    dump: Minidump | None = None
    texts: list[Attachment] = []
    for is_dump, data in files:
        if is_dump:
            if dump is not None:
                _dropped(metrics, "duplicate_item")
            elif (data.size if isinstance(data, StagedObject) else len(data)) > limits.max_minidump_bytes:
                _dropped(metrics, "minidump_too_large")
            else:
                dump = data
            continue
        assert isinstance(data, bytes)
        if len(texts) >= limits.max_attachments:
            _dropped(metrics, "too_many_attachments")
        elif len(data) > limits.max_attachment_bytes:
            _dropped(metrics, "attachment_too_large")
        else:
            try:
                texts.append(Attachment(data.decode("utf-8")))
            except UnicodeDecodeError:
                _dropped(metrics, "binary_attachment")  # only text logs are kept, as on the native path
    return dump, texts


async def _crash(intake: Intake, key: IngestKey, event: dict[str, Any], event_id: uuid.UUID,
                 sent_at: Any, files: Sequence[tuple[bool, Minidump]], reply: Reply, items: int) -> bool:
    """An error / message event with its attachments: kept through accept_crash, or dropped and counted (as
    `items` items: an envelope's event and attachments, or one minidump upload and its other files)."""
    metrics, registry, limits = intake.metrics, intake.registry, intake.crash_limits
    install, _ = install_id(event, registry)
    reason = refusal_reason(key, "crash_report", markers(event), registry, install)
    if reason is not None:
        _dropped(metrics, reason, items)
        if reason == "key_scope":
            reply.block(CRASH_CATEGORIES, "consent")
        return False
    dump, texts = _files(files, limits, metrics)
    mapped = map_event(event, key=key, install=install, event_id=event_id, sent_at=sent_at, now=datetime.now(UTC),
                       limits=limits, has_dump=dump is not None)
    try:
        await accept_crash(intake, CrashUpload(SOURCE, mapped.report, dump, texts),
                           dump_names_exception=not mapped.has_exception, findings=mapped.dropped)
    except Refusal as refusal:
        if refusal.code not in DROPPED_CODES:
            raise
        _dropped(metrics, refusal.code, items)
        return False
    return True


async def _transaction(intake: Intake, key: IngestKey, event: dict[str, Any], event_id: uuid.UUID,
                       sent_at: Any, reply: Reply) -> bool:
    """A performance transaction → one native event `sentry.transaction`, or dropped and counted."""
    metrics, registry = intake.metrics, intake.registry
    if key.transactions == "drop":
        _dropped(metrics, "transactions_off")
        reply.block(TELEMETRY_CATEGORIES, "transactions_off")
        return False
    install, _ = install_id(event, registry)
    reason = refusal_reason(key, "telemetry", markers(event), registry, install)
    if reason is not None:
        _dropped(metrics, reason)
        if reason == "key_scope":
            reply.block(TELEMETRY_CATEGORIES, "consent")
        return False
    now = datetime.now(UTC)
    mapped = map_transaction(event, key=key, event_id=event_id, sent_at=sent_at, now=now, limits=intake.limits)
    batch = EventBatch(install, Consent(telemetry="granted"), Context(**mapped.context),
                       [Event(mapped.event_id, TRANSACTION_EVENT, mapped.ts, props=mapped.props)])
    try:
        await accept_events(intake, Decoded(batch=batch), now)
    except Refusal as refusal:
        if refusal.code not in DROPPED_CODES:
            raise
        _dropped(metrics, refusal.code)
        return False
    for what, count in mapped.dropped.items():
        metrics.redactions.labels(what).inc(count)
    return True


async def _items(request: web.Request, key: IngestKey, headers: dict[str, Any], items: list[Item]) -> web.Response:
    """An envelope's items (or a legacy store request as one item): the first event with its attachments, the
    first transaction; an event item that is not JSON is dropped and counted (`malformed_item`), the rest of the
    envelope still goes through, as Relay does."""
    intake = request.app[INTAKE]
    metrics, limits = intake.metrics, intake.crash_limits
    sent_at = headers.get("sent_at")
    reply = Reply()
    events: list[Item] = []
    transactions: list[Item] = []
    attachments: list[Item] = []
    for item in items:
        metrics.sdk_items.labels(SDK, item_label(item.type)).inc()
        target = {"event": events, "transaction": transactions, "attachment": attachments}.get(item.type)
        if target is not None:
            target.append(item)
        elif item.type not in ONLY_COUNTED:
            _dropped(metrics, "unknown_item")  # never stored, never refused: a newer SDK keeps working
    if extras := len(events[1:]) + len(transactions[1:]):  # one event per envelope, as Sentry defines it
        _dropped(metrics, "duplicate_item", extras)
    answer_id = headers.get("event_id")
    if screens := [a for a in attachments if a.headers.get("attachment_type") in SCREEN_ATTACHMENTS]:
        _dropped(metrics, "view_hierarchy", len(screens))  # what was on screen: user content, never kept
        attachments = [a for a in attachments if a not in screens]
    event = _item_json(events[0], limits.max_report_bytes) if events else None
    transaction = _item_json(transactions[0], limits.max_report_bytes) if transactions else None
    if unread := (bool(events) and event is None) + (bool(transactions) and transaction is None):
        _dropped(metrics, "malformed_item", unread)  # even when it is all there is: resending cannot fix it
    files = [(a.headers.get("attachment_type") == "event.minidump", a.payload) for a in attachments]
    if event is None and any(is_dump for is_dump, _ in files):
        event = {}  # a minidump is a crash of its own (as Relay makes one): the event the dump's upload would be
    if event is not None:
        event_id = event_uuid(event.get("event_id") or answer_id)
        await _crash(intake, key, event, event_id, sent_at, files, reply, 1 + len(files))
        answer_id = answer_id or event_id.hex
    elif attachments:
        _dropped(metrics, "orphan_attachment", len(attachments))
    if transaction is not None:
        event_id = event_uuid(transaction.get("event_id") or answer_id)
        await _transaction(intake, key, transaction, event_id, sent_at, reply)
        answer_id = answer_id or event_id.hex
    body = msgspec.json.encode({"id": answer_id} if isinstance(answer_id, str) else {})
    return web.Response(status=200, body=body, content_type="application/json", headers=reply.headers())


def _minidump_part_limits(limits: CrashLimitSettings) -> PartLimits:
    """While the form is read: the minidump is refused (413) past its cap; other files are dropped (and counted)
    past the attachment cap, fields past MAX_FIELD_BYTES, as they were when read whole."""

    def limit(name: str, is_file: bool) -> PartLimit:
        if name == CRASHPAD_DUMP:
            return PartLimit(limits.max_minidump_bytes, stream=True)  # to the object store as it arrives
        return PartLimit(limits.max_attachment_bytes if is_file else MAX_FIELD_BYTES, drop=True)

    return limit


def _item_json(item: Item, limit: int) -> dict[str, Any] | None:
    """The item's JSON object, or None when it is not one (cut off, a nesting bomb, not an object): that item is
    dropped, not the envelope, unless nothing else is in it. Over the size cap is still 413 (`part_too_large`)."""
    try:
        return _json(item, limit)
    except Refusal as refusal:
        if refusal.code != "malformed_body":
            raise
        return None


def envelope_dsn_key(plain: bytes) -> str | None:
    """The public key of the `dsn` in an envelope's header line (tunnels forward envelopes without auth)."""
    line = plain[:plain.find(b"\n")] if b"\n" in plain else plain
    try:
        header = json_value(line, "the envelope header")
    except Refusal:
        return None
    dsn = header.get("dsn") if isinstance(header, dict) else None
    if not isinstance(dsn, str) or len(dsn) > 2048:
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


@sentry_replies
async def post_envelope(request: web.Request) -> web.Response:
    key, plain = await _admitted_body(request, envelope_dsn_key)
    envelope = parse_envelope(plain)
    return await _items(request, key, envelope.headers, envelope.items)


def _legacy_body(plain: bytes) -> bytes:
    """A store body: JSON, or what old SDKs (raven-python) sent, base64 of zlib-compressed JSON."""
    if plain.lstrip()[:1] == b"{":
        return plain
    try:
        # max_length bounds the output: a zlib bomb stops one byte past the cap
        return zlib.decompressobj().decompress(base64.b64decode(plain, validate=False), MAX_LEGACY_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        return plain  # not JSON either: refused below as malformed_body


@sentry_replies
async def post_store(request: web.Request) -> web.Response:
    """The legacy `POST /api/{project}/store/` (raven-js, older SDKs): one event JSON as the body, key in
    `X-Sentry-Auth` or `?sentry_key=`; mapped as an envelope holding that one item (an event, or a transaction
    when its `type` says so) and answered like one: `200 {"id": ...}`."""
    key, plain = await _admitted_body(request)
    body = _legacy_body(plain)
    if len(body) > MAX_LEGACY_BYTES:
        raise Refusal("decompressed_too_large", f"the store body is over {MAX_LEGACY_BYTES} bytes decompressed")
    item = Item({"type": "event"}, body)
    event = _json(item, request.app[INTAKE].crash_limits.max_report_bytes)  # a bad body is the whole request
    kind = "transaction" if event.get("type") == "transaction" else "event"
    event_id = event.get("event_id")
    return await _items(request, key, {"event_id": event_id} if isinstance(event_id, str) else {},
                        [Item({"type": kind}, body)])


@sentry_replies
async def post_minidump(request: web.Request) -> web.Response:
    """Crashpad / Breakpad / sentry-native minidump upload: `upload_file_minidump` plus the event as a `sentry`
    JSON field or `sentry[...]` fields; other file parts are attachments. Answers the event id as text."""
    intake = request.app[INTAKE]
    limits = intake.crash_limits
    key = authorize(request.app[SETTINGS], sentry_key(request))  # 401 before a byte is read
    admit(intake, request.remote)
    parts = await read_form(request, limits.max_upload_bytes, _minidump_part_limits(limits), intake.objects.stage)
    try:
        return await _minidump_upload(intake, key, parts)
    finally:
        discard_parts(parts)  # a dropped or refused upload's staged dump; nothing once it is committed


async def _minidump_upload(intake: Intake, key: IngestKey, parts: list[Part]) -> web.Response:
    metrics, limits = intake.metrics, intake.crash_limits
    dumps = [p for p in parts if p.name == CRASHPAD_DUMP]
    if len(dumps) != 1:
        raise Refusal("malformed_body", f"exactly one `{CRASHPAD_DUMP}` part is required")
    metrics.sdk_items.labels(SDK, "minidump").inc()
    fields = {p.name: p.data.decode("utf-8", "replace") for p in parts if not p.is_file and not p.dropped}
    packed = [p for p in parts if p.name == EVENT_PART and not p.dropped and len(p.data) <= limits.max_report_bytes]
    event = form_event(fields, packed_event(packed[0].data) if packed else None)
    event_id = event_uuid(event.get("event_id"))
    skipped = {CRASHPAD_DUMP, EVENT_PART} | BREADCRUMB_PARTS  # read above, or dropped unread (breadcrumbs)
    if dropped_crumbs := sum(p.name in BREADCRUMB_PARTS for p in parts):
        _dropped(metrics, "native_breadcrumbs", dropped_crumbs)
    others = [p for p in parts if p.is_file and p.name not in skipped]
    if too_large := sum(p.dropped for p in others):
        _dropped(metrics, "attachment_too_large", too_large)
    files: list[tuple[bool, Minidump]] = [(True, part_dump(dumps[0]))] + [(False, p.data) for p in others
                                                                          if not p.dropped]
    reply = Reply()
    await _crash(intake, key, event, event_id, None, files, reply, len(files))
    return web.Response(status=200, text=str(event_id), headers=reply.headers())


async def post_security(request: web.Request) -> web.Response:
    """Browser security reports (CSP, Expect-CT, HPKP; `?sentry_key=`): the page URLs they carry are browsing
    history, not crash data. Key checked, body discarded unread, answered 200 so the browser does not resend,
    counted consentry_sdk_dropped_total{sdk="sentry",reason="security_report"}."""
    authorize(request.app[SETTINGS], sentry_key(request))
    intake = request.app[INTAKE]
    intake.client_limiter.check(request.remote or "unknown")
    await request.release()
    intake.metrics.sdk_items.labels(SDK, "security").inc()
    _dropped(intake.metrics, "security_report")
    return web.Response(status=200, body=b"{}", content_type="application/json")


def setup_sentry(app: web.Application) -> None:
    """The DSN `http://KEY@host:port/1` posts to /api/1/envelope/; `http://KEY@host/some/prefix/1` to
    /some/prefix/api/1/envelope/ (a DSN path before the project id becomes a prefix)."""
    for prefix in ("", "/{prefix:.+}"):
        app.router.add_post(prefix + r"/api/{project:\d+}/envelope/", post_envelope)
        app.router.add_post(prefix + r"/api/{project:\d+}/minidump/", post_minidump)
        app.router.add_post(prefix + r"/api/{project:\d+}/store/", post_store)
        app.router.add_post(prefix + r"/api/{project:\d+}/security/", post_security)
