"""Structured values: walk mappings and sequences with depth and size limits, one findings table per call."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from redact.content import MASKED, ONE_BIT
from redact.cues import device_model, device_owner
from redact.keys import FieldTable
from redact.names import load
from redact.rules import Context

# Redacts one string for a field; the walker supplies the shared context.
TextFn = Callable[[str, "str | None", Context], str]

_SCALARS = (int, float, bool, type(None))


def ENGLISH() -> frozenset[str]:  # noqa: N802 - the word list, loaded once (names.load is cached)
    return load().english
JSON_MAX = 65_536
# Values with nothing in them: empty, or all zeros like the IDFA of a device that limits ad tracking.
_EMPTY = re.compile(r"[\s0\-]*")
# The kind an id names before the id itself (Stripe's cus_, Clerk's user_, PostHog's anon-, $device:): what the id is,
# not whose. Letters only, then an id-like rest with a digit (a UUID's first group is no kind).
_ID_KIND = re.compile(r"(?![a-f]{8}-)(\$?[a-z]{2,12}[-_:|])(?=\S*\d)(?=.{6,})")
# Under any removed field, a platform's kind before a hardware id ("ios-00008110-001A2C3E0E91801E"): hex runs only.
_HW_KIND = re.compile(r"([a-z]{2,12}[-_:])(?=[0-9A-Fa-f]{8,}(?:-[0-9A-Fa-f]{8,})+\Z)")


class Walker:
    """Descends dicts and lists; strings go to `text`, fields whose treatment is `remove` are dropped whole.

    Booleans and nulls are never dropped: `has_email: true` or `password_set: false` tell nothing personal.
    """

    def __init__(self, fields: FieldTable, text: TextFn, *, max_depth: int, max_items: int,
                 key_text: TextFn | None = None) -> None:
        self._fields = fields
        self._text = text
        self._key_text = key_text or text  # keys are field names: the fast tier is enough for them
        self._max_depth = max_depth
        self._max_items = max_items

    def value(self, value: Any, field: str | None, ctx: Context, depth: int = 0) -> Any:
        if value is None or value is True or value is False:
            return value
        how = self._fields.treatment(field) if field else None
        if how == "remove":
            if "key.sensitive" not in ctx.enabled or isinstance(value, str) and (_EMPTY.fullmatch(value)
                                                                               or ONE_BIT.fullmatch(value)
                                                                               or MASKED.fullmatch(value)
                                                                               or self._fields.stays(field or "", value,
                                                                                                     ENGLISH())):
                return value
            if isinstance(value, str) and field and self._fields.device(field):
                named = device_value(value, ctx)
                if named is not None:
                    return named
            kind = None
            if isinstance(value, str) and field:
                if self._fields.is_id(field):
                    kind = _ID_KIND.match(value)
                else:
                    kind = _HW_KIND.match(value)
                    if kind and kind.group()[:-1].title() in load().first:
                        kind = None  # a person's name before a machine's id ("bob-…") is no kind
            return (kind.group() if kind else "") + ctx.hit("key.sensitive")
        if how == "mention" and type(value) in (int, float) and not -1000 < value < 1000:
            return ctx.hit("key.sensitive") if "key.sensitive" in ctx.enabled else value  # an id, not a count
        if how == "content" and isinstance(value, Mapping | list | tuple) and "content" in ctx.enabled:
            # A conversation or document sent as a structure: replaced whole like its text would be.
            size = len(json.dumps(value, ensure_ascii=False, default=str))
            return ctx.hit("content").replace("{n}", str(size))
        if isinstance(value, str):
            return self._text(value, field, ctx)
        if isinstance(value, _SCALARS):
            return value
        if depth >= self._max_depth and isinstance(value, Mapping | list | tuple):
            return ctx.hit("limit.depth")
        if isinstance(value, Mapping):
            return self.mapping(value, ctx, depth + 1)
        if isinstance(value, list | tuple | set | frozenset):
            return self._sequence(value, field, ctx, depth + 1)
        if isinstance(value, bytes | bytearray | memoryview):
            return ctx.hit("content").replace("{n}", str(len(value))).replace("chars", "bytes")
        return self._text(str(value), field, ctx)

    def mapping(self, mapping: Mapping[Any, Any], ctx: Context, depth: int = 1) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, (key, item) in enumerate(mapping.items()):
            if i >= self._max_items:
                ctx.hit("limit.size", len(mapping) - i)
                break
            name = key if isinstance(key, str) else str(key)
            out[self.key(name, ctx)] = self.value(item, name, ctx, depth)
        return out

    def _sequence(self, items: Any, field: str | None, ctx: Context, depth: int) -> list[Any]:
        out = []
        for i, item in enumerate(items):
            if i >= self._max_items:
                ctx.hit("limit.size", len(items) - i)
                break
            out.append(self.value(item, field, ctx, depth))
        return out

    def key(self, key: str, ctx: Context) -> str:
        """Keys are data too ({"alice@example.com": 3}); identifier-like keys skip the scan."""
        if key.isidentifier() or key.replace(".", "_").replace("-", "_").replace("$", "_").isidentifier():
            return key
        return self._key_text(key, "", ctx)


def json_text(text: str, walker: Walker, ctx: Context) -> str | None:
    """A JSON object or array sent as a string, walked like a mapping and written back in the same layout.

    None when the text is not JSON, or when nothing in it changed (the caller goes on with the text as is).
    """
    if len(text) > JSON_MAX or text[-1:] not in "}]":
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict | list):
        return None
    before = sum(ctx.findings.values())
    out = walker.mapping(data, ctx) if isinstance(data, dict) else walker.value(data, None, ctx, 1)
    if sum(ctx.findings.values()) == before:
        return None
    spaced = '": ' in text or '", "' in text
    return json.dumps(out, ensure_ascii="\\u" in text, separators=(", ", ": ") if spaced else (",", ":"))


def device_value(value: str, ctx: Context) -> str | None:
    """A device name's make and model as sent, a default name with its owner's name replaced ("[person]'s
    iPhone"), or None: a name the owner chose goes whole."""
    if device_model(value.strip()):
        return value
    owner = device_owner(value.strip())
    if owner is None or "name.field" not in ctx.enabled:
        return None
    lead = len(value) - len(value.lstrip())
    return value[: lead + owner[0]] + ctx.hit("name.field") + value[lead + owner[1] :]
