"""Running jobs from the collector side: one run of named jobs, the in-process scheduler, the control routes."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import msgspec
from aiohttp import web

from ingest.consent.keys import hash_key
from ingest.metrics import Metrics
from ingest.settings import Settings
from ingest.stages.rescrub import Reredaction
from ingest.stores import open_clickhouse, open_objects
from redact import Redactor
from storage.clickhouse.client import ClickHouseStore
from storage.errors import StorageError
from storage.jobs import JOBS, JobBusy, JobContext, JobResult, LockOptions, job_status, ordered_jobs, run_job
from storage.jobs.ttl import sync_ttl
from storage.objects import ObjectStore
from storage.rollups import sync_breakdown_keys

log = logging.getLogger("consentry.jobs")
FIRST_RUN_DELAY_S = 60.0  # after start-up: let the writer catch up with the spool first
STATUS_REFRESH_S = 300.0  # how often the last-success gauge re-reads job_runs (runs by CronJobs and other pods)
Progress = Callable[[str, int, int], None]  # job, done, total
T = TypeVar("T")


class JobOutcome(msgspec.Struct):
    job: str
    outcome: str  # ok, failed, busy
    result: JobResult | None = None
    message: str = ""


class JobStopped(Exception):
    """The collector is shutting down; the job stops between two steps and resumes at its next run."""


def holder(role: str) -> str:
    """Who holds a lock, for `jobs status` and for people: host, process, role."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{role}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def lock_options(settings: Settings) -> LockOptions:
    return LockOptions(ttl_s=float(settings.jobs.lock_ttl_s), settle_s=settings.jobs.lock_settle_ms / 1000)


def selected(name: str) -> list[str]:
    """`all` or one registered job; ValueError naming the known ones otherwise."""
    if name == "all":
        return ordered_jobs()
    if name not in JOBS:
        raise ValueError(f"unknown job {name!r}; known: all, {', '.join(ordered_jobs())}")
    return [name]


def run_named(names: list[str], store: ClickHouseStore, objects: ObjectStore, settings: Settings, who: str,
              progress: Progress, *, now: Callable[[], datetime] = now_utc) -> list[JobOutcome]:
    """Run jobs one after another; a busy or failed job does not stop the next."""
    outcomes = []
    # The re-scrub job gets the rules a collector runs (the default policy, as create_app builds it).
    reredactor = Reredaction(Redactor()) if "rescrub" in names else None
    for name in names:
        ctx = JobContext(store, objects, settings.retention, now, partial(progress, name),
                         hash_key(settings), reredactor)
        try:
            result = run_job(name, ctx, holder=who, lock=lock_options(settings))
            outcomes.append(JobOutcome(name, "ok", result))
        except JobBusy as exc:
            outcomes.append(JobOutcome(name, "busy", message=str(exc)))
        except (StorageError, JobStopped) as exc:
            log.warning("job %s failed: %s", name, exc)
            outcomes.append(JobOutcome(name, "failed", message=str(exc)))
        except Exception as exc:  # a bug in one job must not keep the others from running; it is logged whole
            log.exception("job %s failed", name)
            outcomes.append(JobOutcome(name, "failed", message=f"{type(exc).__name__}: {exc}"))
    return outcomes


def record(metrics: Metrics, outcome: JobOutcome) -> None:
    metrics.job_runs.labels(outcome.job, outcome.outcome).inc()
    if outcome.result is not None:
        metrics.job_last_success.labels(outcome.job).set(now_utc().timestamp())
        for table, rows in outcome.result.rows.items():
            metrics.job_rows.labels(outcome.job, table).inc(rows)
        metrics.job_objects.labels(outcome.job).inc(outcome.result.objects)


class JobsService:
    """Jobs inside the writer process: their own ClickHouse client on their own thread (a long rewrite must not
    hold up spool inserts), the scheduler, and the runs asked for through the control socket, one at a time."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
        self._stopping = threading.Event()
        self._store: ClickHouseStore | None = None
        self._objects: ObjectStore | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self._settings
        self._store = open_clickhouse(settings)
        self._objects = open_objects(settings)
        await self._call(sync_ttl, self._store, settings.retention)  # the TTL follows the policy from the start
        await self._call(sync_breakdown_keys, self._store, settings.reports.breakdown_props)
        await self._call(self._refresh_last_success)
        self._watcher = asyncio.create_task(self._watch(), name="jobs-status")
        if settings.jobs.schedule:
            self._scheduler = asyncio.create_task(self._schedule(), name="jobs-scheduler")

    async def stop(self) -> None:
        self._stopping.set()  # a running job stops at its next progress report
        for task in (self._scheduler, self._watcher):
            if task is not None:
                task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self._thread.shutdown, True)
        if self._store is not None:
            self._store.close()
        if self._objects is not None:
            self._objects.close()

    async def run(self, names: list[str], progress: Progress) -> list[JobOutcome]:
        outcomes = await self._call(self._run_sync, names, progress)
        for outcome in outcomes:
            record(self._metrics, outcome)
        return outcomes

    async def status(self) -> list[dict[str, object]]:
        return await self._call(self._status_sync)

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _run_sync(self, names: list[str], progress: Progress) -> list[JobOutcome]:
        assert self._store is not None and self._objects is not None

        def checked(job: str, done: int, total: int) -> None:
            if self._stopping.is_set():
                raise JobStopped("the collector is stopping")
            progress(job, done, total)

        return run_named(names, self._store, self._objects, self._settings, holder("serve"), checked)

    def _status_sync(self) -> list[dict[str, object]]:
        assert self._store is not None and self._objects is not None
        ctx = JobContext(self._store, self._objects, self._settings.retention, now_utc, lambda done, total: None,
                         hash_key(self._settings))
        return [msgspec.to_builtins(entry) for entry in job_status(ctx)]

    def _refresh_last_success(self) -> None:
        """Runs by CronJobs or other pods count too: the gauge starts from what job_runs says."""
        for entry in self._status_sync():
            if entry.get("last_success"):
                when = datetime.fromisoformat(str(entry["last_success"]))
                self._metrics.job_last_success.labels(entry["job"]).set(when.timestamp())

    async def _watch(self) -> None:
        """Keep the last-success gauge current when the runs happen elsewhere (CronJobs, another pod), so the
        "jobs late" alert sees them."""
        while True:
            await asyncio.sleep(STATUS_REFRESH_S)
            try:
                await self._call(self._refresh_last_success)
            except StorageError as exc:
                log.warning("could not read the job runs: %s", exc)

    async def _schedule(self) -> None:
        interval = self._settings.jobs.interval_minutes * 60.0
        await asyncio.sleep(min(FIRST_RUN_DELAY_S, interval))
        while True:
            try:
                for outcome in await self.run(ordered_jobs(), lambda job, done, total: None):
                    log.info("scheduled job %s: %s %s", outcome.job, outcome.outcome, outcome.message)
            except Exception:  # noqa: BLE001 - the scheduler must outlive one bad run; the next may succeed
                log.exception("scheduled jobs failed")
            await asyncio.sleep(interval)


JOBS_SERVICE = web.AppKey("control_jobs", JobsService)


class RunRequest(msgspec.Struct, frozen=True):
    job: str


async def run_route(request: web.Request) -> web.StreamResponse:
    """POST /jobs/run {"job": name|all}: JSON lines, {"progress": ...} while running, then {"outcomes": [...]}."""
    try:
        names = selected(msgspec.json.decode(await request.read(), type=RunRequest).job)
    except (msgspec.DecodeError, ValueError) as exc:
        return web.json_response({"error": {"code": "bad_job", "message": str(exc)}}, status=400)
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    async for line in _stream(request.app[JOBS_SERVICE], names):
        await response.write(line)
    await response.write_eof()
    return response


async def _stream(service: JobsService, names: list[str]) -> AsyncIterator[bytes]:
    loop, lines = asyncio.get_running_loop(), asyncio.Queue[bytes | None]()

    def progress(job: str, done: int, total: int) -> None:
        line = msgspec.json.encode({"progress": {"job": job, "done": done, "total": total}}) + b"\n"
        loop.call_soon_threadsafe(lines.put_nowait, line)

    async def run() -> None:
        try:
            outcomes = await service.run(names, progress)
            lines.put_nowait(msgspec.json.encode({"outcomes": outcomes}) + b"\n")
        finally:
            lines.put_nowait(None)

    task = asyncio.create_task(run())
    while (line := await lines.get()) is not None:
        yield line
    await task


async def status_route(request: web.Request) -> web.Response:
    try:
        return web.json_response({"jobs": await request.app[JOBS_SERVICE].status()}, dumps=_dumps)
    except StorageError as exc:
        return web.json_response({"error": {"code": "query_failed", "message": str(exc)}}, status=400)


def _dumps(value: object) -> str:
    return msgspec.json.encode(value).decode()
