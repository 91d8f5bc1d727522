"""When the writer recomputes the trailing-window rollup (storage/trailing.py), and which report days.

Inserts only note the earliest event day they carried. Every `reports.trailing_refresh_s` (5 min) the writer refreshes
from that day to tomorrow (clients may run up to a day ahead). A read barrier (flush: a report, `consentry
query`) refreshes from yesterday on, so today's and yesterday's counts include every acknowledged event; older
days that late events touched wait for the periodic run, because re-merging 30 days of sketches takes seconds at
scale (bench/reports_bench.py: 3.3 s for 30 days at 200,000 installs, 0.4 s for two). The first run after a
start covers every day intake still accepts: a crash between an insert and its refresh loses nothing."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from ingest.durable.records import EPOCH_ORDINAL
from storage.clickhouse.executor import AsyncStore
from storage.trailing import refresh_trailing

RECENT = timedelta(days=1)  # what a read barrier refreshes: yesterday and today (and tomorrow)


class TrailingRefresh:
    def __init__(self, store: AsyncStore, *, every_s: float, max_event_age_days: int) -> None:
        self._store = store
        self._every_s = every_s
        self._max_age = timedelta(days=max_event_age_days)
        self._stale_since: date | None = date.min  # date.min: everything intake accepts (clamped below)
        self._refreshed_at = float("-inf")

    def inserted(self, oldest_days: list[int]) -> None:
        """Rows whose earliest event days (since 1970-01-01; 0 = unknown) are these are now in storage."""
        if oldest_days:
            self._mark(min(date.fromordinal(EPOCH_ORDINAL + d) if d > 0 else date.min for d in oldest_days))

    def _mark(self, day: date) -> None:
        """Report days from `day` on are stale."""
        self._stale_since = day if self._stale_since is None else min(self._stale_since, day)

    async def run_if_due(self) -> bool:
        """The periodic refresh of every stale day, once the interval has passed; True if it ran."""
        if self._stale_since is None or time.monotonic() - self._refreshed_at < self._every_s:
            return False
        await self.everything()
        return True

    async def barrier(self) -> None:
        """Before a read: refresh the stale days from yesterday on (older ones stay stale for the periodic run)."""
        if self._stale_since is None:
            return
        today = datetime.now(UTC).date()
        if self._stale_since >= today - RECENT:
            await self.everything()
        else:
            await self._refresh(today - RECENT, today)

    async def everything(self) -> None:
        """Refresh every stale day now (the periodic run; tests that need older days exact)."""
        if self._stale_since is None:
            return
        today = datetime.now(UTC).date()
        first = max(self._stale_since, today - self._max_age)
        self._stale_since = None  # rows inserted while this runs mark their days stale again
        try:
            await self._refresh(first, today)
        except BaseException:
            self._mark(first)  # still stale: the next run retries
            raise
        self._refreshed_at = time.monotonic()

    async def _refresh(self, first: date, today: date) -> None:
        await self._store.run(refresh_trailing, self._store.store, first, today + timedelta(days=1))
