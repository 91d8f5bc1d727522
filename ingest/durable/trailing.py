"""When the writer recomputes the trailing-window rollup (storage/trailing.py), and which report days.

Inserts only note the earliest event day they carried; the writer refreshes from that day to tomorrow (clients
may run up to a day ahead) every `reports.trailing_refresh_s`, and at every read barrier (flush), so a report
asked for after an event was acknowledged counts it. The first refresh after a start covers every day intake
still accepts: a crash between an insert and its refresh loses nothing."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from ingest.durable.records import EPOCH_ORDINAL
from storage.executor import AsyncStore
from storage.trailing import refresh_trailing


class TrailingRefresh:
    def __init__(self, store: AsyncStore, *, every_s: float, max_event_age_days: int) -> None:
        self._store = store
        self._every_s = every_s
        self._max_age = timedelta(days=max_event_age_days)
        self._stale_since: date | None = date.min  # date.min: everything intake accepts (clamped below)
        self._refreshed_at = float("-inf")

    def inserted(self, oldest_days: list[int]) -> None:
        """Rows whose earliest event days (since 1970-01-01; 0 = unknown) are these are now in storage."""
        oldest = min((date.fromordinal(EPOCH_ORDINAL + d) if d > 0 else date.min for d in oldest_days),
                     default=None)
        if oldest is not None:
            self._stale_since = oldest if self._stale_since is None else min(self._stale_since, oldest)

    async def run_if_due(self, force: bool = False) -> bool:
        """Refresh the stale report days when the interval has passed (or when forced); True if it ran."""
        if self._stale_since is None or not (force or time.monotonic() - self._refreshed_at >= self._every_s):
            return False
        today = datetime.now(UTC).date()
        first = max(self._stale_since, today - self._max_age)
        self._stale_since = None  # rows inserted while this runs mark their days stale again
        try:
            await self._store.run(refresh_trailing, self._store.store, first, today + timedelta(days=1))
        except BaseException:
            self.inserted([first.toordinal() - EPOCH_ORDINAL])  # still stale: the next run retries
            raise
        self._refreshed_at = time.monotonic()
        return True
