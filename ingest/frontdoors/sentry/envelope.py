"""Sentry envelope framing (https://develop.sentry.dev/sdk/envelopes/): a JSON header line, then items.

Each item is a JSON header line and a payload: `length` bytes when the header has `length` (the payload may hold
newlines), else up to the next newline. The payload's trailing newline is optional at the end of the body.
Only the framing is checked here; payloads stay bytes until the item's handler decides to read them."""

from __future__ import annotations

from typing import Any

import msgspec

from ingest.errors import Refusal
from ingest.stages.decode import json_value

MAX_ITEMS = 100  # the Python SDK sends one event plus its attachments; anything near this is not an SDK
MAX_HEADER_BYTES = 16 << 10


class Item(msgspec.Struct, frozen=True):
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        value = self.headers.get("type")
        return value if isinstance(value, str) else ""


class Envelope(msgspec.Struct, frozen=True):
    headers: dict[str, Any]
    items: list[Item]


def _header(data: bytes, start: int, what: str) -> tuple[dict[str, Any], int]:
    end = data.find(b"\n", start)
    if end < 0:
        end = len(data)
    if end - start > MAX_HEADER_BYTES:
        raise Refusal("malformed_body", f"the {what} header is over {MAX_HEADER_BYTES} bytes")
    value = json_value(data[start:end], f"the {what} header")
    if not isinstance(value, dict):
        raise Refusal("malformed_body", f"the {what} header must be a JSON object")
    return value, end + 1


def parse_envelope(data: bytes, max_items: int = MAX_ITEMS) -> Envelope:
    """The envelope's header and items, or 400 `malformed_body` naming what is wrong."""
    if not data.strip():
        raise Refusal("malformed_body", "the envelope is empty")
    headers, pos = _header(data, 0, "envelope")
    items: list[Item] = []
    size = len(data)
    while pos < size:
        if data[pos:pos + 1] == b"\n":  # blank lines between items are tolerated
            pos += 1
            continue
        item_headers, pos = _header(data, pos, f"item {len(items)}")
        length = item_headers.get("length")
        if length is None:
            end = data.find(b"\n", pos)
            end = size if end < 0 else end
            payload, pos = data[pos:end], end + 1
        else:
            if type(length) is not int or length < 0:
                raise Refusal("malformed_body", f"item {len(items)}: `length` must be a non-negative integer")
            if pos + length > size:
                raise Refusal("malformed_body", f"item {len(items)}: `length` {length} runs past the body")
            payload, pos = data[pos:pos + length], pos + length
            if pos < size:
                if data[pos:pos + 1] != b"\n":
                    raise Refusal("malformed_body", f"item {len(items)}: no newline after its {length} bytes")
                pos += 1
        items.append(Item(item_headers, payload))
        if len(items) > max_items:
            raise Refusal("malformed_body", f"more than {max_items} items in one envelope")
    return Envelope(headers, items)
