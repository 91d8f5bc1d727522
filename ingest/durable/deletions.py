"""The writer's side of deletion requests: register them, keep spooled data of deleted installs out of storage,
publish the block list for workers, and run the deletion job."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from ingest.consent.blocklist import Blocklist
from ingest.durable.records import SpoolBatch, SpoolCrash, SpoolDeletion
from ingest.metrics import Metrics
from storage.clickhouse.executor import AsyncStore
from storage.jobs.deletions import (
    DeletionOutcome,
    DeletionRequest,
    blocked_since,
    pending_figures,
    register,
    run_deletions,
)
from storage.objects import ObjectStore

log = logging.getLogger("consentry.deletions")
REFRESH_INTERVAL_S = 5.0
SLA_AT_RISK = 0.5  # warn once the oldest pending request has waited half the promised time
# A burst of requests (an app update rolling out a "delete my data" screen, a load test) is registered over
# several drains; erasing after the first would split it into batches that each cost about what one request
# costs. The erase waits until no request arrived for SETTLE_S, but never more than MAX_DELAY_S.
SETTLE_S = 0.5
MAX_DELAY_S = 5.0


class DeletionGate:
    def __init__(self, store: AsyncStore, objects: ObjectStore, key: bytes, blocklist: Blocklist,
                 grace: timedelta, metrics: Metrics, sla: timedelta = timedelta(hours=24)) -> None:
        self._store = store
        self._objects = objects
        self._key = key
        self._blocklist = blocklist
        self._grace = grace
        self._metrics = metrics
        self._request_of: dict[str, uuid.UUID] = {}  # install hash -> latest request id (for in-flight counts)
        self._in_flight: dict[uuid.UUID, int] = {}
        self._refreshed = 0.0
        self._sla = sla
        metrics.deletion_sla_seconds.set(sla.total_seconds())
        self._saved = False
        self._waiting_since: float | None = None  # monotonic time of the first registration not yet erased
        self._last_registered = 0.0
        self._pending = 0  # pending requests at the last gauge update

    async def load(self, now: datetime) -> None:
        """Rebuild the block list from the audit trail (hashes only); requests left pending are erased by the
        writer's first pass, not here: one batch on a large store can outlast the start-up wait (serve gives the
        writer WRITER_START_TIMEOUT_S to be ready), and the block list already refuses their data."""
        await self._refresh(now)
        if self._pending:
            self._waiting_since = time.monotonic()

    async def refresh_if_due(self) -> None:
        """Pick up requests other writers registered (one spool per pod, one ClickHouse for all)."""
        if time.monotonic() - self._refreshed >= REFRESH_INTERVAL_S:
            await self._refresh(datetime.now(UTC))

    async def _update_gauges(self, now: datetime) -> None:
        pending, oldest_age_s = await self._store.run(pending_figures, self._store.store, now)
        self._pending = pending
        self._metrics.deletions_pending.set(pending)
        self._metrics.deletion_oldest_pending_seconds.set(oldest_age_s)
        sla_s = self._sla.total_seconds()
        if oldest_age_s > sla_s:  # alert on the gauges; the log says it where people look
            log.error("deletion SLA breached: %d request(s) pending, the oldest for %.0f s (SLA %.0f s)", pending,
                      oldest_age_s, sla_s)
        elif oldest_age_s > sla_s * SLA_AT_RISK:
            log.warning("deletion SLA at risk: %d request(s) pending, the oldest for %.0f s (SLA %.0f s)", pending,
                        oldest_age_s, sla_s)

    async def _refresh(self, now: datetime) -> None:
        self._refreshed = time.monotonic()
        await self._update_gauges(now)
        before = len(self._blocklist)
        for digest, requested_at in await self._store.run(blocked_since, self._store.store, now - self._grace):
            self._blocklist.add(digest, (requested_at + self._grace).timestamp())
        if len(self._blocklist) != before or not self._saved:
            await asyncio.to_thread(self._blocklist.save)
            self._saved = True

    async def register(self, deletions: list[SpoolDeletion], now: datetime) -> None:
        requests = [DeletionRequest(d.request_id, d.install_id, d.reason, d.requested_at) for d in deletions]
        await self._store.run(register, self._store.store, requests, self._key, now)
        for request in requests:
            digest = self._blocklist.hash(request.install_id)
            self._blocklist.add(digest, (request.requested_at + self._grace).timestamp())
            self._request_of[digest] = request.request_id
        await asyncio.to_thread(self._blocklist.save)
        self._metrics.deletions_requested.inc(len(requests))
        self._last_registered = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = self._last_registered

    async def run_if_due(self, *, settled: bool = False) -> DeletionOutcome | None:
        """Erase what was registered once the burst has settled (or waited MAX_DELAY_S); `settled`: now."""
        if self._waiting_since is None:
            return None
        clock = time.monotonic()
        if not settled and clock - self._last_registered < SETTLE_S and clock - self._waiting_since < MAX_DELAY_S:
            return None
        return await self.run()

    def keep_batch(self, batch: SpoolBatch) -> bool:
        return self._keep(batch.install_id, batch.count)

    def keep_crash(self, crash: SpoolCrash) -> bool:
        if self._keep(crash.row.install_id, 1):
            return True
        keys = [crash.row.minidump_key, *crash.row.attachment_keys]
        for key in filter(None, keys):  # the worker stored them before spooling the row
            self._objects.delete(key)
        return False

    def _keep(self, install_id: uuid.UUID, rows: int) -> bool:
        digest = self._blocklist.hash(install_id)
        if digest not in self._request_of and not self._blocklist.blocked(digest):
            return True
        request = self._request_of.get(digest)
        if request is not None:
            self._in_flight[request] = self._in_flight.get(request, 0) + rows
        self._metrics.deletion_in_flight_rows.inc(rows)
        return False

    async def run(self, now: datetime | None = None) -> DeletionOutcome:
        self._waiting_since = None
        outcome = await self._store.run(run_deletions, self._store.store, self._objects, self._key,
                                        now or datetime.now(UTC), dict(self._in_flight))
        await self._update_gauges(now or datetime.now(UTC))
        for batch in outcome.batches:
            self._metrics.deletion_batch_seconds.observe(batch.seconds)
            self._metrics.deletion_batch_requests.observe(batch.requests)
        if outcome.requests:
            self._metrics.deletions_completed.inc(outcome.requests)
            log.info("completed %d deletion request(s) in %d batch(es) (%.1f s): %s rows, %d objects",
                     outcome.requests, len(outcome.batches), sum(b.seconds for b in outcome.batches), outcome.rows,
                     outcome.objects)
            self._in_flight.clear()
        return outcome
