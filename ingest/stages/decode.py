"""Decode stage: bounded body read, bounded decompression, JSON / MessagePack parsing."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, TypeVar

import brotli
import msgspec
import zstandard
from aiohttp import web

from ingest.errors import Refusal
from ingest.model import Decoded, EventBatch

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


def _gunzip(data: bytes, limit: int) -> bytes:
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # max_length bounds memory: a small bomb never inflates past limit + 1 bytes.
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise Refusal("malformed_encoding", f"invalid gzip stream: {exc}") from None
        if len(out) > limit:
            raise Refusal("decompressed_too_large", f"decompressed body exceeds {limit} bytes")
        if not inflater.eof:
            raise Refusal("malformed_encoding", "truncated gzip stream")
        data = inflater.unused_data  # concatenated gzip members are legal
    return bytes(out)


def _inflate(data: bytes, limit: int) -> bytes:
    """HTTP `deflate` is a zlib stream (RFC 9110); some clients send raw deflate, which is accepted too."""
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits=wbits)
        try:
            out = inflater.decompress(data, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit:
            raise Refusal("decompressed_too_large", f"decompressed body exceeds {limit} bytes")
        if not inflater.eof:
            raise Refusal("malformed_encoding", "truncated deflate stream")
        return out
    raise Refusal("malformed_encoding", "invalid deflate stream")


def _unbrotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = bytearray()
    try:
        chunk = decompressor.process(data, output_buffer_limit=_CHUNK)
        while True:  # the output is bounded per call, so a bomb stops at limit + one chunk
            out += chunk
            if len(out) > limit:
                raise Refusal("decompressed_too_large", f"decompressed body exceeds {limit} bytes")
            if decompressor.can_accept_more_data():
                break
            chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
    except brotli.error as exc:
        raise Refusal("malformed_encoding", f"invalid brotli stream: {exc}") from None
    if not decompressor.is_finished():
        raise Refusal("malformed_encoding", "truncated brotli stream")
    return bytes(out)


def _unzstd(data: bytes, limit: int) -> bytes:
    out = bytearray()
    try:
        with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as reader:
            while chunk := reader.read(_CHUNK):
                out += chunk
                if len(out) > limit:
                    raise Refusal("decompressed_too_large", f"decompressed body exceeds {limit} bytes")
    except zstandard.ZstdError as exc:
        raise Refusal("malformed_encoding", f"invalid zstd stream: {exc}") from None
    return bytes(out)


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding with the output capped at `limit` bytes."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        if len(body) > limit:
            raise Refusal("decompressed_too_large", f"body exceeds {limit} bytes")
        return body
    if name in ("gzip", "x-gzip"):
        return _gunzip(body, limit)
    if name == "zstd":
        return _unzstd(body, limit)
    if name == "deflate":
        return _inflate(body, limit)
    if name == "br":
        return _unbrotli(body, limit)
    raise Refusal("unsupported_encoding",
                  f"Content-Encoding {name[:32]!r} is not one of identity, gzip, zstd, deflate, br")


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
