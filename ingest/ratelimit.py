"""Token buckets per key (install id, client address), bounded in memory."""

from __future__ import annotations

import time
from collections import OrderedDict

from ingest.errors import Refusal


class RateLimiter:
    """`rate` tokens per second up to `burst`; one request costs one token. rate 0 disables the limit.

    Least recently seen keys are forgotten past `max_keys`, which can only make the limiter more lenient."""

    def __init__(self, what: str, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self._what = what
        self._rate = rate
        self._burst = float(burst)
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, updated)

    def check(self, key: str, now: float | None = None) -> None:
        if self._rate <= 0:
            return
        now = time.monotonic() if now is None else now
        tokens, updated = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - updated) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = max(1, round((1.0 - tokens) / self._rate + 0.5))
            raise Refusal("rate_limited", f"too many requests for this {self._what}; retry later", retry_after=wait)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
