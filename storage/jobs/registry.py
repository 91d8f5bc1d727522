"""Every job by name, in one explicit table, and run_job: take the lock, run the job, record the run.

Nothing registers itself on import: a job exists when it is listed here."""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime

import msgspec

from storage.clickhouse.client import string
from storage.errors import StorageError
from storage.jobs.base import Job, JobContext, JobResult
from storage.jobs.deidentify import deidentify
from storage.jobs.deletions import deletions_job, pending_summary
from storage.jobs.expire import expire
from storage.jobs.lock import ClaimLock, LockOptions
from storage.jobs.reconcile import reconcile
from storage.jobs.rescrub import rescrub
from storage.jobs.sql import timestamp

# The order `jobs run all` uses: deletions first (a withdrawn consent is the most urgent), then expire (dropped
# days need no de-identification), then de-identify, then re-scrub (after the day swaps that drop deleted
# installs' rows; it skips days already current), then reconcile (orphaned objects).
JOBS: dict[str, Job] = {"deletions": deletions_job, "expire": expire, "deidentify": deidentify, "rescrub": rescrub,
                        "reconcile": reconcile}
ORDER = tuple(JOBS)
# name -> extra figures for `consentry jobs status` (deletions: pending count, oldest pending age).
STATUS_HOOKS: dict[str, Callable[[JobContext], dict[str, object]]] = {
    "deletions": lambda ctx: pending_summary(ctx.store, ctx.now()),
}


def ordered_jobs() -> list[str]:
    """Job names in the order `all` runs them (jobs a test adds, not in ORDER, last)."""
    return sorted(JOBS, key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))


def run_job(name: str, ctx: JobContext, *, holder: str, lock: LockOptions | None = None) -> JobResult:
    """Take the job's ClickHouse lock, run the job, record the run in `job_runs`; JobBusy if another runner has it.

    The lock is renewed each time the job reports progress, so a long run keeps it while a dead one loses it.
    """
    job = JOBS.get(name)
    if job is None:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(JOBS)}")
    claim = ClaimLock(ctx.store, name, holder, lock or LockOptions())
    claim.acquire()
    started, clock = ctx.now(), time.monotonic()

    def progress(done: int, total: int) -> None:
        claim.renew()
        ctx.progress(done, total)

    try:
        try:
            result = job(replace(ctx, progress=progress))
        except Exception as exc:
            with suppress(StorageError):  # the job's own error matters more than failing to record it
                _record(ctx, name, holder, started, JobResult(name, {}, 0), error=_describe(exc))
            raise
        result.details.setdefault("seconds", round(time.monotonic() - clock, 3))
        _record(ctx, name, holder, started, result)
        return result
    finally:
        with suppress(StorageError):  # an unreleased claim expires after the lock TTL
            claim.release()


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:2000]


def _record(ctx: JobContext, name: str, holder: str, started: datetime, result: JobResult, *, error: str = "") -> None:
    rows = ", ".join(f"{string(table)}, {int(count)}" for table, count in sorted(result.rows.items()))
    details = msgspec.json.encode(result.details).decode()
    ctx.store.command(
        f"INSERT INTO {ctx.store.database}.job_runs "
        "(run_id, job, holder, started_at, finished_at, status, rows, objects, details, error) "
        f"SELECT toUUID('{uuid.uuid4()}'), {string(name)}, {string(holder)}, {timestamp(started)}, "
        f"{timestamp(ctx.now())}, {string('failed' if error else 'ok')}, "
        f"CAST(map({rows}), 'Map(String, UInt64)'), {int(result.objects)}, {string(details)}, {string(error)}")
