"""Structured values: walk mappings and sequences with depth and size limits, one findings table per call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from redact.keys import KeyRules
from redact.rules import Context

# Redacts one string for a field; the walker supplies the shared context.
TextFn = Callable[[str, "str | None", Context], str]

_SCALARS = (int, float, bool, type(None))


class Walker:
    """Descends dicts and lists; strings go to `text`, sensitive keys are dropped whole."""

    def __init__(self, keys: KeyRules, text: TextFn, *, max_depth: int, max_items: int) -> None:
        self._keys = keys
        self._text = text
        self._max_depth = max_depth
        self._max_items = max_items

    def value(self, value: Any, field: str | None, ctx: Context, depth: int = 0) -> Any:
        if field is not None and self._keys.sensitive(field):
            return ctx.hit("key.sensitive") if "key.sensitive" in ctx.enabled else value
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
        if key.isidentifier() or key.replace(".", "_").replace("-", "_").isidentifier():
            return key
        return self._text(key, "", ctx)
