"""Group commit: concurrent requests wait on one shared ClickHouse insert instead of one insert each."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from ingest.metrics import Metrics
from storage.executor import AsyncStore
from storage.rows import EventRow

_Pending = tuple[list[EventRow], asyncio.Future[None]]


class GroupInserter:
    """While one insert runs, new submissions queue up; the next insert takes them all (up to max_rows)."""

    def __init__(self, store: AsyncStore, metrics: Metrics, *, max_rows: int, linger_s: float) -> None:
        self._store = store
        self._metrics = metrics
        self._max_rows = max_rows
        self._linger_s = linger_s
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-inserter")

    async def submit(self, rows: list[EventRow]) -> None:
        """Return once `rows` are committed; raise the storage error if the shared insert failed."""
        if self._closing:
            raise RuntimeError("inserter is closing")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        self._wakeup.set()
        await asyncio.shield(future)  # a client hanging up must not cancel a write others share

    async def close(self) -> None:
        """Flush everything submitted so far, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            if self._linger_s and not self._closing:
                await asyncio.sleep(self._linger_s)
            self._wakeup.clear()
            while self._pending:
                await self._flush(self._take())
            if self._closing:
                return

    def _take(self) -> list[_Pending]:
        taken, count = [], 0
        while self._pending and (not taken or count + len(self._pending[0][0]) <= self._max_rows):
            item = self._pending.popleft()
            taken.append(item)
            count += len(item[0])
        return taken

    async def _flush(self, group: list[_Pending]) -> None:
        rows = [row for batch, _ in group for row in batch]
        started = time.perf_counter()
        try:
            await self._store.insert_events(rows)
        except Exception as exc:  # every waiter learns the outcome; the loop must survive to serve the next group
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        self._metrics.insert_seconds.observe(time.perf_counter() - started)
        self._metrics.insert_rows.observe(len(rows))
        for _, future in group:
            if not future.done():
                future.set_result(None)
