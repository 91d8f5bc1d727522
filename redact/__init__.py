"""Consentry's redaction library (placeholder API; the engine is being built)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")
Tier = Literal["fast", "deep"]


class Redacted(msgspec.Struct, Generic[T], frozen=True):
    """A redacted value and how many times each rule fired (never the removed text)."""

    value: T
    findings: dict[str, int]


class Redactor:
    """Applies a redaction policy to strings and structured values."""

    def redact_text(self, text: str, *, field: str | None = None, tier: Tier = "fast") -> Redacted[str]:
        return Redacted(text, {})

    def redact_mapping(self, mapping: Mapping[str, Any], *, tier: Tier = "fast") -> Redacted[dict[str, Any]]:
        return Redacted(dict(mapping), {})
