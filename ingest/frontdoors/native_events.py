"""POST /v1/events: the native event batch (JSON or MessagePack, optionally gzip / zstd)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from aiohttp import web

from ingest.stages.decode import check_media_type, decode_events, decompress, read_body
from ingest.stages.pipeline import accept_events, admit
from ingest.state import INTAKE


class Accepted(msgspec.Struct, frozen=True):
    accepted: int
    redactions: dict[str, int]  # counts per rule only: the removed text is never echoed


async def post_events(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    limits = intake.limits
    admit(intake, request.remote)
    check_media_type(request.content_type)                                         # before the body is read
    body = await read_body(request, limits.max_body_bytes)
    plain = decompress(body, request.headers.get("Content-Encoding"), limits.max_decompressed_bytes)
    decoded = decode_events(plain, request.content_type)                           # decode
    redacted = await accept_events(intake, decoded, datetime.now(UTC))            # consent → ... → spool
    body_out = msgspec.json.encode(Accepted(len(redacted.rows), dict(redacted.findings)))
    return web.Response(status=202, body=body_out, content_type="application/json")
