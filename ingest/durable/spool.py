"""Worker side of the spool: append framed records, group-commit them with one fsync, rotate segments."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections import deque
from pathlib import Path

from ingest.durable.records import SpoolPayload, frame
from ingest.durable.segments import fsync_dir, next_segment, spool_bytes, worker_dir
from ingest.errors import Refusal
from ingest.metrics import Metrics

_Pending = tuple[bytes, asyncio.Future[None]]
SIZE_CHECK_INTERVAL_S = 0.1


class SpoolAppender:
    """Appends records for one worker. `append` returns only after the record is fsync'd.

    Requests arriving while an fsync runs wait for the next one, so one fsync serves many requests.
    The file work runs on a thread so the event loop keeps decoding other requests meanwhile."""

    def __init__(self, spool: Path, worker: str, metrics: Metrics, *, max_bytes: int, min_free_bytes: int,
                 segment_bytes: int) -> None:
        self._spool = spool
        self._dir = worker_dir(spool, worker)
        self._metrics = metrics
        self._max_bytes = max_bytes
        self._min_free_bytes = min_free_bytes
        self._segment_bytes = segment_bytes
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fd = -1
        self._written = 0
        self._closing = False
        self._size_checked_at = 0.0
        self._full_reason: str | None = None
        metrics.spool_max_bytes.set(max_bytes)

    def open(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._rotate()
        self._task = asyncio.create_task(self._run(), name="spool-appender")

    def full_reason(self) -> str | None:
        """Why intake must pause (None when there is room); cheap, re-measured at most every 100 ms."""
        now = time.monotonic()
        if now - self._size_checked_at >= SIZE_CHECK_INTERVAL_S:
            self._size_checked_at = now
            self._full_reason = self._measure()
            self._metrics.spool_full.set(1 if self._full_reason else 0)
        return self._full_reason

    def _measure(self) -> str | None:
        held = spool_bytes(self._spool)
        self._metrics.spool_bytes.set(held)
        if held >= self._max_bytes:
            return f"spool holds {held} bytes, at its cap of {self._max_bytes}"
        if shutil.disk_usage(self._dir).free < self._min_free_bytes:
            return f"less than {self._min_free_bytes} bytes free on the spool disk"
        return None

    async def append(self, payload: SpoolPayload) -> None:
        if self._closing:
            raise Refusal("spool_full", "the collector is shutting down")
        if reason := self.full_reason():
            raise Refusal("spool_full", reason)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((frame(payload), future))
        self._wakeup.set()
        await asyncio.shield(future)  # a client hanging up must not cancel a write others share

    async def close(self) -> None:
        """Commit everything appended so far, then close the segment."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                group = list(self._pending)
                self._pending.clear()
                try:
                    await loop.run_in_executor(None, self._write_group, [data for data, _ in group])
                except OSError as exc:
                    _settle(group, Refusal("spool_full", f"spool write failed: {exc.strerror}"))
                    self._rotate_after_failure()
                    continue
                _settle(group, None)
            if self._closing:
                return

    def _write_group(self, chunks: list[bytes]) -> None:
        data = b"".join(chunks)
        started = time.perf_counter()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)
        self._metrics.spool_fsync_seconds.observe(time.perf_counter() - started)
        self._metrics.spool_records_per_fsync.observe(len(chunks))
        self._written += len(data)
        if self._written >= self._segment_bytes:
            self._rotate()

    def _rotate_after_failure(self) -> None:
        """A failed write may leave a torn record; later records go to a fresh segment (the writer skips it)."""
        try:
            self._rotate()
        except OSError:
            pass  # the next write fails too and is refused the same way

    def _rotate(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        path = next_segment(self._dir)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fsync_dir(self._dir)
        self._written = 0


def _settle(group: list[_Pending], error: Exception | None) -> None:
    for _, future in group:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
