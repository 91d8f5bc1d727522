"""A job lock that lives in ClickHouse, so runners on many hosts against one cluster exclude each other.

Claim, settle, read back: a runner inserts a claim (job, claim id, holder, server time, expiry), waits a short
settle delay, then reads every unexpired claim of the job; it wins only if its own claim is the earliest. A loser
withdraws its claim. Assumptions (docs/operations.md, "The lock"): a claim is visible to every runner within the
settle delay (one server, or a replicated cluster reading with `select_sequential_consistency` / insert quorum),
and claims are stamped with the clock of the server that takes them (NTP-synchronised within the settle delay).
A winner renews its claim while it works; a runner that died leaves a claim that expires after the lock TTL.
"""

from __future__ import annotations

import re
import time
import uuid

import msgspec

from storage.clickhouse.client import ClickHouseStore, string

_HOLDER = re.compile(r"[A-Za-z0-9._:@-]{1,200}")


class LockOptions(msgspec.Struct, frozen=True):
    ttl_s: float = 900.0  # a claim nobody renews expires after this; winners renew at a third of it
    settle_s: float = 0.5  # must exceed how long a claim takes to become visible to other runners


class JobBusy(Exception):
    """Another runner holds the job's lock (or took it over after our claim expired)."""

    def __init__(self, job: str, holder: str) -> None:
        super().__init__(f"job {job} is running elsewhere (lock held by {holder})")
        self.job = job
        self.holder = holder


class ClaimLock:
    def __init__(self, store: ClickHouseStore, job: str, holder: str, options: LockOptions) -> None:
        if not _HOLDER.fullmatch(holder):
            raise ValueError(f"lock holder {holder!r} must match {_HOLDER.pattern}")
        self._store, self._job, self._holder, self._options = store, job, holder, options
        self._claim = uuid.uuid4()
        self._renewed = 0.0

    def acquire(self) -> None:
        """Claim; raise JobBusy (after withdrawing the claim) when an earlier unexpired claim exists."""
        ttl = self._options.ttl_s
        self._store.command(
            f"INSERT INTO {self._store.database}.job_locks (job, claim_id, holder, claimed_at, expires_at, updated_at)"
            f" SELECT {string(self._job)}, toUUID('{self._claim}'), {string(self._holder)}, now64(6),"
            f" now64(6) + toIntervalMillisecond({int(ttl * 1000)}), now64(6)")
        self._renewed = time.monotonic()
        time.sleep(self._options.settle_s)
        self._check_winner()

    def renew(self) -> None:
        """Extend the claim (cheap no-op unless a third of the TTL passed); JobBusy if someone else holds it now."""
        if time.monotonic() - self._renewed < self._options.ttl_s / 3:
            return
        self._check_winner()
        self._set_expiry(f"now64(6) + toIntervalMillisecond({int(self._options.ttl_s * 1000)})")
        self._renewed = time.monotonic()

    def release(self) -> None:
        self._set_expiry("now64(6)")

    def _check_winner(self) -> None:
        winner = self._earliest()
        if winner is None or winner[0] != self._claim:
            self.release()
            raise JobBusy(self._job, winner[1] if winner else "nobody (our claim expired)")

    def _earliest(self) -> tuple[uuid.UUID, str] | None:
        rows = self._store.query(
            f"SELECT claim_id, holder FROM {self._store.database}.job_locks FINAL WHERE job = {string(self._job)} "
            "AND expires_at > now64(6) ORDER BY claimed_at, claim_id LIMIT 1", read_only=False).rows
        return (rows[0][0], rows[0][1]) if rows else None

    def _set_expiry(self, expires: str) -> None:
        # A newer version of the same claim row (ReplacingMergeTree on updated_at): claimed_at never changes.
        self._store.command(
            f"INSERT INTO {self._store.database}.job_locks (job, claim_id, holder, claimed_at, expires_at, updated_at)"
            f" SELECT job, claim_id, holder, claimed_at, {expires}, now64(6) FROM {self._store.database}.job_locks"
            f" FINAL WHERE job = {string(self._job)} AND claim_id = toUUID('{self._claim}')")
