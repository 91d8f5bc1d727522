"""Async queries through the writer's control socket: in worker processes only the writer may open chDB."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import aiohttp
import msgspec

from storage.clickhouse.client import QueryResult
from storage.errors import StorageUnavailable

TIMEOUT_S = 60.0  # an admin request is interactive; `consentry query` is the place for long analytics


Barrier = Literal["none", "drain", "erase"]


class QueryRequest(msgspec.Struct, frozen=True):
    sql: str
    # "erase" (the default, what `consentry query` and the reports use): every event acknowledged before the
    # question is stored and drained deletion requests are erased, so the answer reads its own writes. "drain":
    # stored, but no erase is forced (a deletion status poll must not defeat the batching of erases it asks about).
    # "none": read what is there now.
    barrier: Barrier = "erase"


class WriterClient:
    """One pooled connection set to the writer; the same socket exists in single-process mode (and tests)."""

    def __init__(self, socket_path: Path) -> None:
        self._session = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(socket_path)),
                                              timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))

    async def query(self, sql: str, barrier: Barrier = "erase") -> QueryResult:
        """Run read-only SQL (`readonly=2`, `final=1`) after the writer's barrier: by default it drained what was
        acknowledged and erased the deletion requests it found; `drain` skips the erase, `none` waits for nothing."""
        try:
            async with self._session.post("http://writer/query", data=msgspec.json.encode(QueryRequest(sql, barrier)),
                                          headers={"Content-Type": "application/json"}) as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StorageUnavailable(f"the writer's control socket did not answer: {exc}") from exc
        if response.status != 200:
            # The writer says 400 for a failing query too; from here that is our SQL or storage, never the client.
            raise StorageUnavailable(f"the writer refused an admin query ({response.status}): {body[:500]!r}")
        return msgspec.json.decode(body, type=QueryResult)

    async def close(self) -> None:
        await self._session.close()
