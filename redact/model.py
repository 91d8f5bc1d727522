"""The result type every redaction call returns, and the tier names."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")
Tier = Literal["fast", "deep"]


class Redacted(msgspec.Struct, Generic[T], frozen=True):
    """A redacted value and how many times each rule fired (never the removed text)."""

    value: T
    findings: dict[str, int]
