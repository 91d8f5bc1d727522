"""`consentry jobs status`: per job, the last run and the last success from job_runs, plus each job's hook."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from storage.jobs.base import JobContext
from storage.jobs.registry import JOBS, STATUS_HOOKS, ordered_jobs
from storage.jobs.sql import table_exists


class JobStatus(msgspec.Struct):
    job: str
    last_run: datetime | None = None
    last_status: str = "never"  # ok, failed, never
    last_success: datetime | None = None
    rows: dict[str, int] = {}  # of the last run
    objects: int = 0
    error: str = ""
    extra: dict[str, object] = {}  # from STATUS_HOOKS (deletions: pending, oldest pending age)


_LATEST = """
SELECT job, max(started_at), argMax(status, started_at), maxIf(finished_at, status = 'ok'), countIf(status = 'ok'),
       argMax(rows, started_at), argMax(objects, started_at), argMax(error, started_at)
FROM {database}.job_runs GROUP BY job
"""


def job_status(ctx: JobContext) -> list[JobStatus]:
    """One entry per registered job (in `all` order), then per job that ran here but is no longer registered."""
    runs = {}
    if table_exists(ctx.store, "job_runs"):
        for job, last, status, success, successes, rows, objects, error in ctx.store.query(
                _LATEST.format(database=ctx.store.database), read_only=False).rows:
            runs[job] = JobStatus(job, _utc(last), status, _utc(success) if successes else None, dict(rows),
                                  int(objects), error)
    names = ordered_jobs() + sorted(set(runs) - set(JOBS))
    result = [runs.get(name, JobStatus(name)) for name in names]
    for entry in result:
        if hook := STATUS_HOOKS.get(entry.job):
            entry.extra = hook(ctx)
    return result


def _utc(value: datetime) -> datetime:
    """The driver hands back naive datetimes for UTC columns."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
