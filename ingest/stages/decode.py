"""Decode stage: bounded body read, bounded decompression, JSON / MessagePack parsing."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from ingest.errors import Refusal
from ingest.model import Decoded, EventBatch
from ingest.stages.encodings import Identity, decoder_for

JSON_TYPES = frozenset({"application/json"})
MSGPACK_TYPES = frozenset({"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"})
_CHUNK = 64 * 1024
T = TypeVar("T")


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """Read the raw body, refusing (before buffering it) anything over max_bytes."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Refusal("body_too_large", f"body of {length} bytes exceeds {max_bytes}")
    if length is not None:  # the usual case: one read, no copy through a growing buffer
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise Refusal("malformed_body", f"body ended after {len(exc.partial)} of {length} bytes") from None
    body = bytearray()
    while chunk := await request.content.read(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise Refusal("body_too_large", f"body exceeds {max_bytes} bytes")
    return bytes(body)


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding with the output capped at `limit` bytes (checked after every bounded piece, so a
    bomb stops one piece past the cap)."""
    decoder = decoder_for(encoding)
    if isinstance(decoder, Identity):
        if len(body) > limit:
            raise Refusal("decompressed_too_large", f"body exceeds {limit} bytes")
        return body
    out = bytearray()
    for piece in decoder.feed(body):
        out += piece
        if len(out) > limit:
            raise Refusal("decompressed_too_large", f"decompressed body exceeds {limit} bytes")
    decoder.finish()
    return bytes(out)


def decode_json(body: bytes, kind: type[T]) -> T:
    """A small JSON request body straight into its type; a parse error and a field error are refused apart."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise Refusal("invalid_field", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise Refusal("malformed_body", f"cannot parse body: {exc}") from None


_JSON_EVENTS = msgspec.json.Decoder(EventBatch)
_MSGPACK_EVENTS = msgspec.msgpack.Decoder(EventBatch)


def decode_events(body: bytes, content_type: str) -> Decoded:
    """One typed pass for well-formed batches; a body that parses but does not fit the types is returned as
    plain objects, so consent is still checked before any field error is reported."""
    decoder: msgspec.json.Decoder[EventBatch] | msgspec.msgpack.Decoder[EventBatch]
    decoder = _JSON_EVENTS if content_type in JSON_TYPES else _MSGPACK_EVENTS
    if content_type in JSON_TYPES or content_type in MSGPACK_TYPES:
        try:
            return Decoded(batch=decoder.decode(body))
        except msgspec.ValidationError:
            pass
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise Refusal("malformed_body", f"cannot parse body: {exc}") from None
    return Decoded(raw=parse(body, content_type))


def parse(body: bytes, content_type: str) -> dict[str, Any]:
    """Parse the body into plain objects; typing happens later, after the consent check."""
    try:
        if content_type in JSON_TYPES:
            value = msgspec.json.decode(body)
        elif content_type in MSGPACK_TYPES:
            value = msgspec.msgpack.decode(body)
        else:
            raise Refusal(
                "unsupported_media_type",
                f"Content-Type {content_type[:64]!r} is not application/json or application/msgpack",
            )
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # msgpack str with invalid UTF-8 raises the latter
        raise Refusal("malformed_body", f"cannot parse body: {exc}") from None
    if not isinstance(value, dict):
        raise Refusal("malformed_body", "the body must be an object")
    return value


def check_media_type(content_type: str) -> None:
    """Refuse an unknown Content-Type before reading the body."""
    if content_type not in JSON_TYPES and content_type not in MSGPACK_TYPES:
        raise Refusal(
            "unsupported_media_type",
            f"Content-Type {content_type[:64]!r} is not application/json or application/msgpack",
        )
