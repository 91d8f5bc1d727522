"""Async facade over ClickHouseStore: every call runs on one dedicated thread, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from storage.clickhouse.client import ClickHouseStore, QueryResult
from storage.clickhouse.migrate import migrate
from storage.rows import CrashRow, EventRow

T = TypeVar("T")


class AsyncStore:
    """One thread owns the client: chDB serialises calls per handle anyway, and ordering stays obvious."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run any storage function (a job step) on the store's thread, in order with inserts and queries."""
        return await self._run(fn, *args)

    async def migrate(self) -> list[str]:
        return await self._run(migrate, self.store)

    async def ping(self) -> None:
        await self._run(self.store.ping)

    async def insert_events(self, rows: Sequence[EventRow]) -> None:
        await self._run(self.store.insert_events, rows)

    async def insert_event_lines(self, lines: bytes) -> None:
        await self._run(self.store.insert_event_lines, lines)

    async def insert_crashes(self, rows: Sequence[CrashRow]) -> None:
        await self._run(self.store.insert_crashes, rows)

    async def query(self, sql: str) -> QueryResult:
        return await self._run(self.store.query, sql)

    async def close(self) -> None:
        await self._run(self.store.close)
        self._thread.shutdown(wait=True)
