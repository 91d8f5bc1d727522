"""Retention jobs on the real chDB engine and real object stores (local directory, SeaweedFS), with a fake clock."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import cli
from ingest.cli.jobs import ProgressBar
from ingest.durable import jobs
from ingest.durable.service import WriterService
from ingest.metrics import Metrics
from ingest.settings import Settings
from storage.clickhouse.client import ClickHouseStore, open_client
from storage.clickhouse.migrate import migrate
from storage.jobs import (
    JOBS,
    STATUS_HOOKS,
    JobBusy,
    JobContext,
    JobResult,
    LockOptions,
    RetentionPolicy,
    job_status,
    run_job,
)
from storage.jobs.lock import ClaimLock
from storage.jobs.ttl import current_ttl_days
from storage.objects import ObjectStore, open_object_store
from storage.rows import NIL_UUID, CrashRow, EventRow

FAST = LockOptions(settle_s=0.05)
MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
MS = timedelta(milliseconds=1)
NAMES = ("editor.opened", "file.saved", "app.started")


def event(ts: datetime, name: str = "editor.opened") -> EventRow:
    return EventRow(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), name, ts, ts + timedelta(seconds=2), "interpreter",
                    "1.4.2", "macos", "15.1", "laptop", "2026-01-21", {"mode": "split"}, {"duration_ms": 12.0},
                    {"ok": True}, {})


def crash(ts: datetime, keys: list[str] = ()) -> CrashRow:  # type: ignore[assignment]
    dump = next((key for key in keys if key.endswith(".dmp")), "")
    attachments = [key for key in keys if not key.endswith(".dmp")]
    return CrashRow(uuid.uuid4(), uuid.uuid4(), ts, ts + timedelta(seconds=2), "native", "interpreter", "1.4.2",
                    "windows", "10", "desktop", "2026-01-21", "f" * 64, "KeyError", "no such key", [], ["a.b"],
                    {"channel": "beta", "last_dir": "~/Desktop"}, dump, 10 if dump else 0, "ab" * 32 if dump else "",
                    True, "", None, "", "", "", [], attachments, [3] * len(attachments), {})


@pytest.fixture
def migrated(store: ClickHouseStore) -> ClickHouseStore:
    migrate(store)
    return store


@pytest.fixture
def local_objects(tmp_path: Path) -> Iterator[ObjectStore]:
    with open_object_store(f"file://{tmp_path / 'objects'}", tmp_path) as objects:
        yield objects


def context(store: ClickHouseStore, objects: ObjectStore, now: datetime, policy: RetentionPolicy | None = None,
            progress: Callable[[int, int], None] = lambda done, total: None) -> JobContext:
    return JobContext(store, objects, policy or RetentionPolicy(), lambda: now, progress)


def rows(store: ClickHouseStore, table: str = "events", columns: str = "*") -> list[list[Any]]:
    return store.query(f"SELECT {columns} FROM {store.database}.{table} ORDER BY ALL", read_only=False).rows


def per_day_and_name(store: ClickHouseStore) -> list[list[Any]]:
    return store.query(f"SELECT toDate(ts), name, count(), sum(props_num['duration_ms']) FROM {store.database}.events"
                       " GROUP BY ALL ORDER BY ALL").rows


# --- de-identify ------------------------------------------------------------------------------------------------


def test_deidentify_rewrites_days_past_the_threshold_and_keeps_counts(migrated: ClickHouseStore,
                                                                      local_objects: ObjectStore) -> None:
    threshold = MIDNIGHT - timedelta(days=30)
    past = [event(threshold - MS - timedelta(hours=h), name) for h in range(0, 48, 5) for name in NAMES]
    kept = [event(threshold, name) for name in NAMES] + [event(MIDNIGHT - timedelta(hours=3))]
    migrated.insert_events(past + kept)
    totals = per_day_and_name(migrated)
    progress: list[tuple[int, int]] = []

    result = run_job("deidentify", context(migrated, local_objects, MIDNIGHT, progress=lambda *p: progress.append(p)),
                     holder="test", lock=FAST)

    assert result.rows == {"events": len(past), "crashes": 0}
    assert result.details["partitions"] == 2 and progress[0] == (0, 2) and progress[-1] == (2, 2)
    assert per_day_and_name(migrated) == totals  # aggregate analytics see the same numbers
    stored = {row[0]: row for row in rows(migrated, columns="event_id, install_id, session_id, ts, received_at")}
    for row in past:
        _, install, session, ts, received = stored[row.event_id]
        assert install == session == NIL_UUID
        assert ts == row.ts.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        assert received == row.received_at.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    for row in kept:
        assert stored[row.event_id][1:3] == [row.install_id, row.session_id]


def test_deidentify_crashes_clears_ids_and_extra_but_keeps_the_report(migrated: ClickHouseStore,
                                                                      local_objects: ObjectStore) -> None:
    old, new = crash(MIDNIGHT - timedelta(days=30) - MS), crash(MIDNIGHT - timedelta(days=30))
    migrated.insert_crashes([old, new])
    result = run_job("deidentify", context(migrated, local_objects, MIDNIGHT), holder="test", lock=FAST)
    assert result.rows == {"events": 0, "crashes": 1}
    stored = {row[0]: row[1:] for row in rows(migrated, "crashes", "crash_id, install_id, extra, ts, fingerprint")}
    assert stored[old.crash_id] == [NIL_UUID, {}, datetime(*old.ts.timetuple()[:4]), old.fingerprint]
    assert stored[new.crash_id][:2] == [new.install_id, new.extra]


def test_deidentify_again_changes_nothing_until_a_late_row_lands_in_a_finished_day(
        migrated: ClickHouseStore, local_objects: ObjectStore) -> None:
    day = MIDNIGHT - timedelta(days=40)
    migrated.insert_events([event(day + timedelta(hours=h)) for h in range(5)])
    ctx = context(migrated, local_objects, MIDNIGHT)
    run_job("deidentify", ctx, holder="test", lock=FAST)
    snapshot = rows(migrated)
    again = run_job("deidentify", ctx, holder="test", lock=FAST)
    assert again.rows == {"events": 0, "crashes": 0} and rows(migrated) == snapshot

    late = event(day + timedelta(hours=7))  # a spooled event written after its day was rewritten
    migrated.insert_events([late])
    third = run_job("deidentify", ctx, holder="test", lock=FAST)
    assert third.rows["events"] == 6
    assert rows(migrated, columns="install_id, session_id") == [[NIL_UUID, NIL_UUID]] * 6


# --- expire -----------------------------------------------------------------------------------------------------


def test_expire_drops_days_past_the_delete_threshold(migrated: ClickHouseStore, local_objects: ObjectStore) -> None:
    # Recent rows and a clock 180 days ahead: the server's own TTL (real clock) never touches them first.
    now = MIDNIGHT + timedelta(days=180)
    gone, kept = event(MIDNIGHT - MS), event(MIDNIGHT)
    migrated.insert_events([gone, kept])
    migrated.insert_crashes([crash(MIDNIGHT - MS), crash(MIDNIGHT)])
    result = run_job("expire", context(migrated, local_objects, now), holder="test", lock=FAST)
    # Both events' weeks in the per-install report rollup are past events_deidentify_days at that clock.
    assert result.rows == {"events": 1, "crashes": 1, "rollup_install_weeks": 2}
    assert rows(migrated, columns="event_id") == [[kept.event_id]]
    assert len(rows(migrated, "crashes", "crash_id")) == 1
    again = run_job("expire", context(migrated, local_objects, now), holder="test", lock=FAST)
    assert again.rows == {"events": 0, "crashes": 0, "rollup_install_weeks": 0} and again.objects == 0


def test_expire_makes_the_table_ttl_follow_the_policy(migrated: ClickHouseStore, local_objects: ObjectStore) -> None:
    policy = RetentionPolicy(events_delete_days=90, crashes_delete_days=120, deletion_audit_days=400)
    result = run_job("expire", context(migrated, local_objects, MIDNIGHT, policy), holder="test", lock=FAST)
    assert result.details["ttl_changed"] == ["events", "crashes", "deletion_audit"]
    assert current_ttl_days(migrated, "events") == 90 and current_ttl_days(migrated, "crashes") == 120
    again = run_job("expire", context(migrated, local_objects, MIDNIGHT, policy), holder="test", lock=FAST)
    assert again.details["ttl_changed"] == []


@pytest.fixture
def objects(object_store: ObjectStore) -> ObjectStore:
    """Both stores (the `object_store` fixture of tests/conftest.py)."""
    return object_store


def put_crash(store: ClickHouseStore, objects: ObjectStore, ts: datetime) -> list[str]:
    crash_id = uuid.uuid4()
    keys = [f"crashes/{ts:%Y/%m/%d}/{crash_id}/minidump.dmp", f"crashes/{ts:%Y/%m/%d}/{crash_id}/attachment-0.txt"]
    for key in keys:
        objects.put(key, b"MDMP" + crash_id.bytes)
    store.insert_crashes([crash(ts, keys)])
    return keys


def test_expire_deletes_objects_past_their_threshold_and_clears_row_keys(migrated: ClickHouseStore,
                                                                         objects: ObjectStore) -> None:
    now = MIDNIGHT + timedelta(days=30)  # objects threshold: 30 days
    _old, young = put_crash(migrated, objects, MIDNIGHT - MS), put_crash(migrated, objects, MIDNIGHT)
    orphan = f"crashes/{MIDNIGHT - timedelta(days=3):%Y/%m/%d}/{uuid.uuid4()}/minidump.dmp"
    objects.put(orphan, b"MDMP")  # no row points at it: found by listing the date prefixes

    result = run_job("expire", context(migrated, objects, now), holder="test", lock=FAST)
    assert result.objects == 3 and result.details["crash_rows_keys_cleared"] == 1
    assert [info.key for info in objects.list("crashes/")] == sorted(young)
    keys = rows(migrated, "crashes", "minidump_key, attachment_keys, minidump_sha256 != ''")
    assert sorted(keys) == [["", [], True], [young[0], young[1:], True]]  # the hash stays: there was a dump

    again = run_job("expire", context(migrated, objects, now), holder="test", lock=FAST)
    assert again.objects == 0 and again.details["crash_rows_keys_cleared"] == 0

    late = put_crash(migrated, objects, MIDNIGHT - timedelta(days=10))  # an old crash uploaded late
    third = run_job("expire", context(migrated, objects, now), holder="test", lock=FAST)
    assert third.objects == 2 and not any(objects.exists(key) for key in late)


# --- the framework: lock, runs, status --------------------------------------------------------------------------


def test_two_concurrent_runners_do_not_both_run(settings: Settings, migrated: ClickHouseStore,
                                                local_objects: ObjectStore) -> None:
    migrated.insert_events([event(MIDNIGHT - timedelta(days=31 + d)) for d in range(4)])
    barrier, outcomes = threading.Barrier(2), []

    def runner(name: str) -> None:
        handle = ClickHouseStore(open_client(settings.clickhouse.url, settings.data_path), migrated.database)
        try:
            barrier.wait()
            outcomes.append(run_job("deidentify", context(handle, local_objects, MIDNIGHT), holder=name,
                                    lock=LockOptions(settle_s=0.3)))
        except JobBusy as exc:
            outcomes.append(exc)
        finally:
            handle.close()

    threads = [threading.Thread(target=runner, args=(f"runner-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["JobBusy", "JobResult"]
    runs = migrated.query(f"SELECT count() FROM {migrated.database}.job_runs").rows
    progress = migrated.query(f"SELECT count() FROM {migrated.database}.retention_progress").rows
    assert runs == [[1]] and progress == [[4]]


def test_a_dead_runners_claim_expires(migrated: ClickHouseStore, local_objects: ObjectStore) -> None:
    ClaimLock(migrated, "expire", "dead-runner", LockOptions(ttl_s=1.0, settle_s=0.0)).acquire()  # never released
    with pytest.raises(JobBusy, match="dead-runner"):
        run_job("expire", context(migrated, local_objects, MIDNIGHT), holder="test", lock=FAST)
    time.sleep(1.0)
    assert run_job("expire", context(migrated, local_objects, MIDNIGHT), holder="test", lock=FAST).job == "expire"


def test_a_failed_run_is_recorded_and_releases_the_lock(migrated: ClickHouseStore, local_objects: ObjectStore,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: JobContext) -> JobResult:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(JOBS, "broken", broken)
    monkeypatch.setitem(STATUS_HOOKS, "broken", lambda ctx: {"pending": 3})
    ctx = context(migrated, local_objects, MIDNIGHT)
    for _ in range(2):  # the second run gets the lock: the first released it
        with pytest.raises(RuntimeError):
            run_job("broken", ctx, holder="test", lock=FAST)
    run_job("expire", ctx, holder="test", lock=FAST)
    status = {entry.job: entry for entry in job_status(ctx)}
    assert status["broken"].last_status == "failed" and "disk on fire" in status["broken"].error
    assert status["broken"].last_success is None and status["broken"].extra == {"pending": 3}
    assert status["expire"].last_status == "ok" and status["expire"].last_success is not None
    assert status["deidentify"].last_status == "never"


# --- the CLI and the control socket -----------------------------------------------------------------------------


def test_cli_runs_and_reports_jobs_without_a_collector(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, settings)
    monkeypatch.setenv("CONSENTRY_JOBS_LOCK_SETTLE_MS", "0")
    assert cli.main(["jobs", "run", "all"]) == 0
    out = capsys.readouterr().out
    assert "expire      ok" in out and "deidentify  ok" in out
    assert cli.main(["jobs", "status"]) == 0
    status = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in status]
    assert names.index("expire") < names.index("deidentify")  # `all` order (deletions, when registered, first)
    assert all("last run never" not in line for line in status)
    assert cli.main(["jobs", "run", "nonsense"]) == 2


async def test_cli_goes_through_the_running_writer(settings: Settings, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, settings)
    monkeypatch.setenv("CONSENTRY_JOBS_LOCK_SETTLE_MS", "0")
    metrics = Metrics()
    service = WriterService(settings, metrics)
    await service.start()
    try:
        assert await asyncio.to_thread(cli.main, ["jobs", "run", "expire"]) == 0
        assert await asyncio.to_thread(cli.main, ["jobs", "status", "--format", "json"]) == 0
    finally:
        await service.stop()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("expire      ok") and '"last_status":"ok"' in out[2]
    assert metrics.registry.get_sample_value("consentry_job_runs_total", {"job": "expire", "outcome": "ok"}) == 1
    assert metrics.registry.get_sample_value("consentry_job_last_success_timestamp_seconds", {"job": "expire"})


async def test_the_scheduler_runs_every_job_inside_the_writer(settings: Settings, migrated: ClickHouseStore,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "FIRST_RUN_DELAY_S", 0.0)
    service = WriterService(settings, Metrics())
    await service.start()
    try:
        for _ in range(200):
            done = migrated.query(f"SELECT groupUniqArray(job) FROM {migrated.database}.job_runs").rows[0][0]
            if {"expire", "deidentify"} <= set(done):
                break
            await asyncio.sleep(0.05)
    finally:
        await service.stop()
    assert {"expire", "deidentify"} <= set(done)


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar(stream)
        bar("expire", 1, 4)
        bar("deidentify", 2, 2)
        bar.close()
    assert pipe.getvalue() == ""
    assert terminal.getvalue() == (f"\rexpire      [{'#' * 7}{'-' * 23}] 1/4\n"
                                   f"\rdeidentify  [{'#' * 30}] 2/2\n")


def set_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("CONSENTRY_DATA_DIR", settings.data_dir)
    monkeypatch.setenv("CONSENTRY_CLICKHOUSE_URL", settings.clickhouse.url)
    monkeypatch.setenv("CONSENTRY_CLICKHOUSE_DATABASE", settings.clickhouse.database)
