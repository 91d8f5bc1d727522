"""Writer: drains every worker's spool segments into ClickHouse in large batches, then advances the checkpoint.

Replay after a crash is safe: rows carry their event ids and the events table deduplicates on them."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest.durable import checkpoint
from ingest.durable.consent import ConsentGate
from ingest.durable.deletions import DeletionGate
from ingest.durable.records import Damage, Record, SpoolBatch, SpoolConsent, SpoolCrash, SpoolDeletion, scan
from ingest.durable.segments import segments, worker_dirs
from ingest.durable.trailing import TrailingRefresh
from ingest.metrics import Metrics
from storage.clickhouse.executor import AsyncStore
from storage.errors import StorageError

log = logging.getLogger("consentry.writer")


class _Drain:
    """What one pass collected: rows to insert and the offsets that become committed once they are in."""

    def __init__(self) -> None:
        self.batches: list[SpoolBatch] = []
        self.rows = 0
        self.crashes: list[SpoolCrash] = []
        self.deletions: list[SpoolDeletion] = []
        self.consents: list[SpoolConsent] = []
        self.offsets: dict[Path, int] = {}
        self.damaged_bytes = 0


class SpoolWriter:
    def __init__(self, spool: Path, store: AsyncStore, metrics: Metrics, *, max_rows: int, poll_s: float,
                 backoff_max_s: float, linger_s: float = 0.0) -> None:
        self._spool = spool
        self._store = store
        self._metrics = metrics
        self._max_rows = max_rows
        self._poll_s = poll_s
        self._backoff_max_s = backoff_max_s
        self._linger_s = linger_s
        self._checkpoint_path = spool / "checkpoint.json"
        self._checkpoint = checkpoint.load(self._checkpoint_path)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.last_error: str | None = None
        self.gate: DeletionGate | None = None  # set by the service: deletion requests in the spool
        self.consent: ConsentGate | None = None  # set by the service: consent choices in the spool
        self.trailing: TrailingRefresh | None = None  # set by the service: the rollup refreshed after inserts

    def start(self) -> None:
        self._spool.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._run(), name="spool-writer")

    async def stop(self, deadline_s: float) -> None:
        """Stop polling and try to drain what is spooled within the deadline; the rest waits for the next start."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        try:
            await asyncio.wait_for(self.flush(), deadline_s)
        except (TimeoutError, StorageError) as exc:
            log.warning("shutdown left spooled rows for the next start: %s", exc)

    async def flush(self, *, erase: bool = True) -> int:
        """Drain everything spooled until now (a read-your-writes barrier, reports included); raise if storage
        refuses. `erase`: also erase the deletion requests registered so far instead of waiting for their batch."""
        total = 0
        while inserted := await self.drain_once():
            total += inserted
        if erase and self.gate is not None:  # deletion requests drained above are erased before the barrier returns
            async with self._lock:
                await self.gate.run_if_due(settled=True)
        if self.trailing is not None:
            async with self._lock:
                await self.trailing.barrier()
        return total

    async def drain_once(self) -> int:
        """One batch: read, insert, commit offsets, delete drained segments. Returns the rows inserted."""
        async with self._lock:
            drain = await asyncio.to_thread(self._collect)
            gate = self.gate
            if gate is not None:
                await gate.refresh_if_due()
            if gate is not None and drain.deletions:  # before any insert: their installs' rows are held back
                await gate.register(drain.deletions, datetime.now(UTC))
            consent = self.consent
            if consent is not None:
                await consent.refresh_if_due()
                if drain.consents:  # before any insert: rows accepted after a denial are held back
                    await consent.record(drain.consents)
            batches = [b for b in drain.batches if (gate is None or gate.keep_batch(b))
                       and (consent is None or consent.keep_batch(b))]
            crashes = [c.row for c in drain.crashes if (gate is None or gate.keep_crash(c))
                       and (consent is None or consent.keep_crash(c))]
            rows = sum(b.count for b in batches)
            if rows:
                started = time.perf_counter()
                await self._store.insert_event_lines(b"".join(b.lines for b in batches))
                self._metrics.insert_seconds.observe(time.perf_counter() - started)
                self._metrics.insert_rows.observe(rows)
                if self.trailing is not None:
                    self.trailing.inserted([b.oldest_day for b in batches])
            if crashes:
                await self._store.insert_crashes(crashes)
            if drain.offsets:
                await asyncio.to_thread(self._commit, drain)
            if gate is not None:  # once a burst of requests has settled: one batch for all of them
                await gate.run_if_due()
            return rows + len(crashes) + len(drain.deletions) + len(drain.consents)

    async def _run(self) -> None:
        backoff = self._poll_s
        while not self._stopping.is_set():
            try:
                inserted = await self.drain_once()
                if self.trailing is not None:
                    async with self._lock:
                        await self.trailing.run_if_due()
            except StorageError as exc:
                self.last_error = str(exc)
                self._metrics.writer_failures.inc()
                backoff = min(max(backoff * 2, 0.1), self._backoff_max_s)
                log.warning("insert failed, retrying in %.1f s: %s", backoff, exc)
            else:
                self.last_error = None
                backoff = self._poll_s
                if inserted >= self._max_rows:
                    continue  # a full batch: more is waiting, no pause while there is a backlog
                if inserted:
                    # Let the next batch grow: fewer, larger inserts cost ClickHouse less per row (fewer parts
                    # to write and merge). Read barriers (flush) do not wait.
                    backoff = self._linger_s
            try:
                await asyncio.wait_for(self._stopping.wait(), backoff)
            except TimeoutError:
                pass

    def _collect(self) -> _Drain:
        drain = _Drain()
        backlog = 0
        for directory in worker_dirs(self._spool):
            files = segments(directory)
            for index, path in enumerate(files):
                newest = index == len(files) - 1
                start = self._checkpoint.offsets.get(self._key(path), 0)
                size = path.stat().st_size
                backlog += size - start
                if drain.rows < self._max_rows and size > start:
                    self._read(path, start, newest, drain)
                elif not newest and size <= start:
                    drain.offsets.setdefault(path, start)  # drained: lets _commit delete it
        self._metrics.spool_backlog_bytes.set(backlog)
        accepted = [b.accepted_at for b in drain.batches if b.accepted_at > 0]  # the oldest come first
        self._metrics.spool_oldest_unwritten.set(min(accepted, default=0.0))
        return drain

    def _read(self, path: Path, start: int, newest: bool, drain: _Drain) -> None:
        with open(path, "rb") as segment:
            segment.seek(start)
            buf = segment.read()  # bounded by the segment size the workers rotate at
        found, consumed = scan(buf, start)
        offset = start
        for item in found:
            if isinstance(item, Damage):
                drain.damaged_bytes += item.end - item.start
                self._metrics.spool_damaged_records.inc()
                log.warning("skipped %d damaged bytes in %s at %d", item.end - item.start, path, item.start)
                offset = item.end
                continue
            assert isinstance(item, Record)
            if drain.rows >= self._max_rows:
                break
            payload = item.payload
            if isinstance(payload, SpoolCrash):
                drain.crashes.append(payload)
            elif isinstance(payload, SpoolDeletion):
                drain.deletions.append(payload)
            elif isinstance(payload, SpoolConsent):
                drain.consents.append(payload)
            else:
                drain.batches.append(payload)
                drain.rows += payload.count
            offset = item.end
        else:
            offset = consumed
            if not newest and consumed < start + len(buf):
                # A torn tail in a segment its worker has left: it can never complete.
                self._metrics.spool_damaged_records.inc()
                log.warning("skipped a torn record at the end of %s", path)
                offset = start + len(buf)
        drain.offsets[path] = offset

    def _commit(self, drain: _Drain) -> None:
        offsets = self._checkpoint.offsets
        for path, offset in drain.offsets.items():
            offsets[self._key(path)] = offset
        checkpoint.save(self._checkpoint_path, self._checkpoint)  # first: a crash now only replays
        for path in drain.offsets:
            files = segments(path.parent)
            if files and path != files[-1] and offsets[self._key(path)] >= path.stat().st_size:
                path.unlink()
                del offsets[self._key(path)]
        for key in [k for k in offsets if not (self._spool / k).exists()]:
            del offsets[key]

    def _key(self, path: Path) -> str:
        return str(path.relative_to(self._spool))
