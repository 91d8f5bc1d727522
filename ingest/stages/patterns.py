"""Pattern checks for identifiers (event names, prop keys, context values), memoised.

The same few names and keys arrive in nearly every batch; matching each one once per process instead of once
per event removed the largest cost of decoding."""

from __future__ import annotations

import re

from ingest.errors import Refusal
from ingest.model import CONTEXT_VALUE_PATTERN, EVENT_NAME_PATTERN, PROP_KEY_PATTERN

_MEMO_LIMIT = 50_000  # distinct valid values remembered per pattern; past it, values are just re-matched


class Pattern:
    def __init__(self, pattern: str, what: str) -> None:
        self._regex = re.compile(pattern)
        self.valid: set[str] = set()  # read directly by hot loops: a set lookup is cheaper than a call
        self.what = what

    def ok(self, value: str) -> bool:
        if value in self.valid:
            return True
        if not self._regex.match(value):
            return False
        if len(self.valid) < _MEMO_LIMIT:
            self.valid.add(value)
        return True

    def check(self, value: str, path: str) -> None:
        if not self.ok(value):
            raise self.refusal(path)

    def refusal(self, path: str) -> Refusal:
        return Refusal("invalid_field", f"{path} is not a valid {self.what} (pattern {self._regex.pattern})")


EVENT_NAME = Pattern(EVENT_NAME_PATTERN, "event name")
PROP_KEY = Pattern(PROP_KEY_PATTERN, "property key")
CONTEXT_VALUE = Pattern(CONTEXT_VALUE_PATTERN, "context value")
