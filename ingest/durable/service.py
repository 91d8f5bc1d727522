"""The writer side of the collector: owns the ClickHouse client, drains the spool, answers the control socket.

It runs as its own process under `serve` (chDB allows one process per engine path), or inside the single
process of `serve --workers 0` and of the tests."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from ingest.control import control_app, serve_control
from ingest.durable.writer import SpoolWriter
from ingest.metrics import Metrics
from ingest.settings import Settings
from storage.clickhouse import ClickHouseStore, open_client
from storage.executor import AsyncStore


class WriterService:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._runner: web.AppRunner | None = None
        self.store: AsyncStore | None = None
        self.writer: SpoolWriter | None = None

    async def start(self) -> None:
        """Open and migrate storage, start draining, then open the control socket (in that order)."""
        settings = self._settings
        settings.data_path.mkdir(parents=True, exist_ok=True)
        client = open_client(settings.clickhouse.url, settings.data_path)
        self.store = AsyncStore(ClickHouseStore(client, settings.clickhouse.database))
        await self.store.migrate()
        w = settings.writer
        self.writer = SpoolWriter(settings.spool_path, self.store, self._metrics, max_rows=w.max_rows,
                                  poll_s=w.poll_ms / 1000, backoff_max_s=w.backoff_max_ms / 1000)
        self.writer.start()
        self._runner = await serve_control(control_app(self.store, self.writer), Path(settings.control_socket))

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            Path(self._settings.control_socket).unlink(missing_ok=True)
        if self.writer is not None:
            await self.writer.stop(self._settings.writer.shutdown_deadline_s)
        if self.store is not None:
            await self.store.close()
