"""Decode stage: bounded body read, bounded decompression, JSON / MessagePack parsing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from ingest.crash.model import Minidump
from ingest.crash.multipart import FormReader, Part, PartLimits, PartSink
from ingest.errors import Refusal
from ingest.model import Decoded, EventBatch
from ingest.stages.encodings import Identity, decoder_for
from ingest.stages.gate import gate
from storage.objects import StagedObject

JSON_TYPES = frozenset({"application/json"})
MSGPACK_TYPES = frozenset({"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"})
_CHUNK = 64 * 1024
T = TypeVar("T")


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """Read the raw body, refusing (before buffering it) anything over max_bytes; the read holds one of the
    worker's body slots and must end within `http.read_timeout_s` (ingest/stages/gate.py)."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Refusal("body_too_large", f"body of {length} bytes exceeds {max_bytes}")
    async with gate(request).slot() as deadline:
        if length is not None:  # the usual case: one read, no copy through a growing buffer
            try:
                return await deadline.wait(request.content.readexactly(length))
            except asyncio.IncompleteReadError as exc:
                raise Refusal("malformed_body", f"body ended after {len(exc.partial)} of {length} bytes") from None
        body = bytearray()
        while chunk := await deadline.wait(request.content.read(_CHUNK)):
            body += chunk
            if len(body) > max_bytes:
                raise Refusal("body_too_large", f"body exceeds {max_bytes} bytes")
        return bytes(body)


async def stream_body(request: web.Request, max_bytes: int, max_plain_bytes: int,
                      sink: Callable[[bytes], None]) -> None:
    """Hand `sink` the body as it arrives with Content-Encoding undone, in bounded pieces: both the size on the
    wire and the size after decoding are capped while reading, so a sink that parses as it goes never holds the
    body. Holds a body slot, within the read deadline, as read_body does."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Refusal("body_too_large", f"body of {length} bytes exceeds {max_bytes}")
    decoder = decoder_for(request.headers.get("Content-Encoding"))
    wire = plain = 0
    async with gate(request).slot() as deadline:
        while chunk := await deadline.wait(request.content.readany()):
            wire += len(chunk)
            if wire > max_bytes:
                raise Refusal("body_too_large", f"body exceeds {max_bytes} bytes")
            for piece in decoder.feed(chunk):
                plain += len(piece)
                if plain > max_plain_bytes:
                    raise Refusal("decompressed_too_large", f"decompressed body exceeds {max_plain_bytes} bytes")
                sink(piece)
    if length is not None and wire < length:
        raise Refusal("malformed_body", f"body ended after {wire} of {length} bytes")
    decoder.finish()


async def read_form(request: web.Request, max_bytes: int, limits: PartLimits,
                    stage: Callable[[], PartSink] | None = None) -> list[Part]:
    """The multipart form, parsed as the (decompressing) body arrives: the media type is checked before a byte is
    read, the part count and sizes while reading. Parts whose limit says `stream` go to sinks from `stage` as
    they arrive (the caller discards them once done with them, see discard_parts); a refused body leaves none."""
    reader = FormReader(request.headers.get("Content-Type", ""), limits=limits, stage=stage)
    try:
        await stream_body(request, max_bytes, max_bytes, reader.feed)
        return reader.close()
    except BaseException:
        reader.discard()
        raise


def part_dump(part: Part) -> Minidump:
    """A dump part's content: the object it was staged into as it arrived, or its bytes (a part the stdlib parser
    read whole, or an empty one: no dump)."""
    staged = part.staged
    return staged if isinstance(staged, StagedObject) and staged.size else part.data


def discard_parts(parts: list[Part]) -> None:
    """Drop what streamed parts wrote and was not committed (a no-op for what was)."""
    for part in parts:
        if part.staged is not None:
            part.staged.discard()


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


# How deep a body's objects and arrays may nest. No SDK payload comes near it (the Sentry SDKs trim event data to
# 10 levels below a field); anything near the interpreter's recursion limit (1,000) would fail in the decoder or
# in any later step that walks the value, so it is refused as a malformed body, on every front door, here.
MAX_DEPTH = 64
_CONTAINERS = (dict, list)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` has objects or arrays nested more than `limit` levels (the value itself is level 1).
    Iterative: the check itself must not recurse."""
    if type(value) not in _CONTAINERS:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        for child in item.values() if type(item) is dict else item:
            if type(child) in _CONTAINERS:
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _checked(value: T, what: str) -> T:
    if too_deep(value):
        raise Refusal("malformed_body", f"{what} nests objects or arrays more than {MAX_DEPTH} levels deep")
    return value


def json_value(data: bytes, what: str = "the body") -> Any:
    """Any JSON value from an untrusted body or part, or 400 `malformed_body` (bad syntax, or nested more than
    MAX_DEPTH levels). Every front door parses untyped JSON through here."""
    try:
        value = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise Refusal("malformed_body", f"{what} is not JSON: {_reason(exc)}") from None
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:  # cannot nest deeper than it has brackets
        return value
    return _checked(value, what)


def msgpack_value(data: bytes, what: str = "the body") -> Any:
    """json_value for MessagePack."""
    try:
        value = msgspec.msgpack.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:  # invalid UTF-8 raises the second
        raise Refusal("malformed_body", f"{what} is not MessagePack: {_reason(exc)}") from None
    return _checked(value, what)


def _reason(exc: Exception) -> str:
    return f"nested more than {MAX_DEPTH} levels deep" if isinstance(exc, RecursionError) else str(exc)


def decode_json(body: bytes, kind: type[T]) -> T:
    """A small JSON request body straight into its type; a parse error and a field error are refused apart."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise Refusal("invalid_field", str(exc)) from None
    except (msgspec.DecodeError, RecursionError) as exc:  # an ignored unknown field may nest without end
        raise Refusal("malformed_body", f"cannot parse body: {_reason(exc)}") from None


_JSON_EVENTS = msgspec.json.Decoder(EventBatch)
_MSGPACK_EVENTS = msgspec.msgpack.Decoder(EventBatch)


def decode_events(body: bytes, content_type: str) -> Decoded:
    """One typed pass for well-formed batches; a body that parses but does not fit the types is returned as
    plain objects, so consent is still checked before any field error is reported. The typed pass nests only
    as deep as EventBatch does; an ignored unknown field that nests without end is refused like any other."""
    decoder: msgspec.json.Decoder[EventBatch] | msgspec.msgpack.Decoder[EventBatch]
    decoder = _JSON_EVENTS if content_type in JSON_TYPES else _MSGPACK_EVENTS
    if content_type in JSON_TYPES or content_type in MSGPACK_TYPES:
        try:
            return Decoded(batch=decoder.decode(body))
        except msgspec.ValidationError:
            pass
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise Refusal("malformed_body", f"cannot parse body: {_reason(exc)}") from None
    return Decoded(raw=parse(body, content_type))


def parse(body: bytes, content_type: str) -> dict[str, Any]:
    """Parse the body into plain objects; typing happens later, after the consent check."""
    if content_type in JSON_TYPES:
        value = json_value(body)
    elif content_type in MSGPACK_TYPES:
        value = msgpack_value(body)
    else:
        raise Refusal(
            "unsupported_media_type",
            f"Content-Type {content_type[:64]!r} is not application/json or application/msgpack",
        )
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
