"""How many request bodies a worker reads at once, and how long one may take: a slow or stalled client holds a
socket and a slot for at most `http.read_timeout_s`, and past `http.max_concurrent_uploads` bodies in flight a
new one is refused at once (503, retry) instead of queueing sockets without end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

from aiohttp import web

from ingest.errors import Refusal

T = TypeVar("T")


class BodyGate:
    def __init__(self, max_reads: int, timeout_s: float) -> None:
        self.max_reads = max_reads
        self.timeout_s = timeout_s
        self.reading = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Deadline]:
        """One body read: refused when max_reads are in flight; its deadline starts now."""
        if self.reading >= self.max_reads:
            raise Refusal("uploads_busy", f"{self.max_reads} request bodies are being read; retry shortly")
        self.reading += 1
        try:
            yield Deadline(asyncio.get_running_loop().time() + self.timeout_s, self.timeout_s)
        finally:
            self.reading -= 1


class Deadline:
    """The time by which the whole body must have arrived."""

    def __init__(self, when: float, timeout_s: float) -> None:
        self.when = when
        self.timeout_s = timeout_s

    async def wait(self, step: Awaitable[T]) -> T:
        """One read, bounded by what is left of the deadline (408 request_timeout past it)."""
        left = self.when - asyncio.get_running_loop().time()
        try:
            if left <= 0:
                raise TimeoutError
            async with asyncio.timeout(left):
                return await step
        except TimeoutError:
            if asyncio.iscoroutine(step):
                step.close()  # a step never awaited (deadline already passed)
            raise Refusal("request_timeout", f"the body did not arrive within {self.timeout_s:g} s") from None


GATE = web.AppKey("body_gate", BodyGate)
_OPEN = BodyGate(1 << 30, 1e9)  # an app without a gate (a test app of one route): no cap


def gate(request: web.Request) -> BodyGate:
    return request.app.get(GATE) or _OPEN
