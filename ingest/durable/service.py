"""The writer side of the collector: owns the ClickHouse client, drains the spool, answers the control socket.

It runs as its own process under `serve` (chDB allows one process per engine path), or inside the single
process of `serve --workers 0` and of the tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from ingest.consent.blocklist import Blocklist, blocklist_path
from ingest.consent.keys import hash_key
from ingest.consent.registry import registry_path
from ingest.durable.consent import ConsentGate
from ingest.durable.control import control_app, serve_control
from ingest.durable.deletions import DeletionGate
from ingest.durable.jobs import JobsService
from ingest.durable.trailing import TrailingRefresh
from ingest.durable.writer import SpoolWriter
from ingest.metrics import Metrics
from ingest.settings import Settings
from ingest.stores import open_clickhouse, open_objects
from storage.clickhouse.executor import AsyncStore
from storage.objects import ObjectStore


class WriterService:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._runner: web.AppRunner | None = None
        self.store: AsyncStore | None = None
        self.writer: SpoolWriter | None = None
        self.jobs: JobsService | None = None
        self.objects: ObjectStore | None = None

    async def start(self) -> None:
        """Open and migrate storage, start draining, then open the control socket (in that order)."""
        settings = self._settings
        settings.data_path.mkdir(parents=True, exist_ok=True)
        self.store = AsyncStore(open_clickhouse(settings))
        await self.store.migrate()
        w = settings.writer
        self.writer = SpoolWriter(settings.spool_path, self.store, self._metrics, max_rows=w.max_rows,
                                  poll_s=w.poll_ms / 1000, backoff_max_s=w.backoff_max_ms / 1000,
                                  linger_s=w.linger_ms / 1000)
        self.objects = open_objects(settings)
        await asyncio.to_thread(self.objects.check)
        grace, key = timedelta(days=settings.privacy.deletion_grace_days), hash_key(settings)
        self.writer.gate = DeletionGate(self.store, self.objects, key, Blocklist(blocklist_path(settings), key),
                                        grace, self._metrics, timedelta(hours=settings.privacy.deletion_sla_hours))
        await self.writer.gate.load(datetime.now(UTC))
        self.writer.consent = ConsentGate(self.store, self.objects, key, registry_path(settings), self._metrics)
        await self.writer.consent.load()
        self.writer.trailing = TrailingRefresh(self.store, every_s=settings.reports.trailing_refresh_s,
                                               max_event_age_days=settings.limits.max_event_age_days)
        self.writer.start()
        self.jobs = JobsService(settings, self._metrics)  # retention jobs: scheduler and control-socket runs
        await self.jobs.start()
        self._runner = await serve_control(control_app(self.store, self.writer, self.jobs),
                                           Path(settings.control_socket))

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            Path(self._settings.control_socket).unlink(missing_ok=True)
        if self.jobs is not None:  # a running job stops between two steps; it resumes at the next run
            await self.jobs.stop()
        if self.writer is not None:
            await self.writer.stop(self._settings.writer.shutdown_deadline_s)
        if self.store is not None:
            await self.store.close()
        if self.objects is not None:
            self.objects.close()
