"""The writer's side of the consent registry: record choices, publish the denials, and keep out of storage the
rows a worker accepted after a denial it had not seen yet (one registry in ClickHouse for every pod)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from ingest.consent.registry import Denials, save_denials
from ingest.durable.records import SpoolBatch, SpoolConsent, SpoolCrash
from ingest.metrics import Metrics
from storage.clickhouse.executor import AsyncStore
from storage.consent import SCOPES, ConsentChange, current_denials, record
from storage.objects import ObjectStore
from storage.privacy import install_hash

REFRESH_INTERVAL_S = 5.0


class ConsentGate:
    def __init__(self, store: AsyncStore, objects: ObjectStore, key: bytes, path: Path, metrics: Metrics) -> None:
        self._store = store
        self._objects = objects
        self._key = key
        self._path = path
        self._metrics = metrics
        self._denials: Denials = {scope: {} for scope in SCOPES}
        self._refreshed = 0.0

    async def load(self) -> None:
        await self._refresh()

    async def refresh_if_due(self) -> None:
        """Pick up choices other writers recorded."""
        if time.monotonic() - self._refreshed >= REFRESH_INTERVAL_S:
            await self._refresh()

    async def _refresh(self) -> None:
        self._refreshed = time.monotonic()
        self._denials = await self._store.run(current_denials, self._store.store)
        await asyncio.to_thread(save_denials, self._path, self._denials)
        self._metrics.consent_refreshed.set(time.time())

    async def record(self, consents: list[SpoolConsent]) -> None:
        changes = [ConsentChange(_change_id(c.change_id, scope), install_hash(self._key, c.install_id), scope, state,
                                 c.policy_version, c.changed_at)
                   for c in consents for scope, state in c.choices.items()]
        await self._store.run(record, self._store.store, changes)
        for change in sorted(changes, key=lambda c: c.changed_at):
            denied = self._denials.setdefault(change.scope, {})
            if change.state == "denied":
                denied[change.install_hash] = change.changed_at.timestamp()
            else:
                denied.pop(change.install_hash, None)
            self._metrics.consent_changes.labels(change.scope, change.state).inc()
        await asyncio.to_thread(save_denials, self._path, self._denials)

    def keep_batch(self, batch: SpoolBatch) -> bool:
        return self._keep(batch.install_id, "telemetry", batch.accepted_at, batch.count)

    def keep_crash(self, crash: SpoolCrash) -> bool:
        row = crash.row
        if self._keep(row.install_id, "crash_report", row.received_at.timestamp(), 1):
            return True
        for key in filter(None, [row.minidump_key, *row.attachment_keys]):  # stored before the row was spooled
            self._objects.delete(key)
        return False

    def _keep(self, install_id: uuid.UUID, scope: str, accepted_at: float, rows: int) -> bool:
        since = self._denials.get(scope, {}).get(install_hash(self._key, install_id))
        if since is None or accepted_at < since:  # accepted while consent stood: kept (deletion is a request)
            return True
        self._metrics.consent_dropped_rows.labels(scope).inc(rows)
        return False


def _change_id(change_id: uuid.UUID, scope: str) -> uuid.UUID:
    """One registry row per scope of a request, with a stable id so a replayed spool record collapses."""
    return uuid.uuid5(change_id, scope)
