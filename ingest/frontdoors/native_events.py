"""POST /v1/events: the native event batch (JSON or MessagePack, optionally gzip / zstd)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from aiohttp import web

from ingest.consent.request import check_consent
from ingest.durable.records import SpoolBatch
from ingest.errors import Refusal
from ingest.model import EventBatch
from ingest.stages.decode import check_media_type, decode_events, decompress, read_body
from ingest.stages.redact import RedactedBatch, redact_batch
from ingest.stages.validate import validate_batch
from ingest.state import (
    BLOCKLIST,
    CLIENT_LIMITER,
    CONSENT_REGISTRY,
    INSTALL_LIMITER,
    METRICS,
    REDACTOR,
    SETTINGS,
    SPOOL,
)


class Accepted(msgspec.Struct, frozen=True):
    accepted: int
    redactions: dict[str, int]  # counts per rule only: the removed text is never echoed


def admit(request: web.Request) -> None:
    """Cheap refusals before the body is read: back-pressure, client rate, media type."""
    if reason := request.app[SPOOL].full_reason():
        raise Refusal("spool_full", reason)
    request.app[CLIENT_LIMITER].check(request.remote or "unknown")
    check_media_type(request.content_type)


async def accept_batch(app: web.Application, batch: EventBatch, now: datetime) -> RedactedBatch:
    """What every event front door does once a batch is validated and its consent decided: rate-limit the
    install, block list, consent registry, redact, spool (fsync), metrics."""
    metrics = app[METRICS]
    app[INSTALL_LIMITER].check(str(batch.install_id))
    app[BLOCKLIST].check(batch.install_id)
    app[CONSENT_REGISTRY].check(batch.install_id, "telemetry")                      # consent (registry)
    redacted = redact_batch(batch, app[REDACTOR], received_at=now)                 # redact
    await app[SPOOL].append(SpoolBatch.of(batch.install_id, redacted.rows, now.timestamp()))  # spool (fsync)
    metrics.events_accepted.inc(len(redacted.rows))                                # ack
    metrics.batch_events.observe(len(redacted.rows))
    for rule, count in redacted.findings.items():
        metrics.redactions.labels(rule).inc(count)
    return redacted


async def post_events(request: web.Request) -> web.Response:
    app = request.app
    limits = app[SETTINGS].limits
    admit(request)
    body = await read_body(request, limits.max_body_bytes)
    plain = decompress(body, request.headers.get("Content-Encoding"), limits.max_decompressed_bytes)
    decoded = decode_events(plain, request.content_type)                           # decode
    check_consent(decoded, "telemetry")                                            # consent
    now = datetime.now(UTC)
    batch = validate_batch(decoded, limits, now)                                   # validate
    redacted = await accept_batch(app, batch, now)
    body_out = msgspec.json.encode(Accepted(len(redacted.rows), dict(redacted.findings)))
    return web.Response(status=202, body=body_out, content_type="application/json")
