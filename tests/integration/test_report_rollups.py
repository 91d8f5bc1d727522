"""The rollups of schemas/0007 on real chDB: retention, crash-free and active give the raw-row answer (sketches are
exact at these counts), suppression is the same on both paths, no install id leaves a report, and the per-install
rollup follows deletions and its retention class."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from report_support import crash, insert, installs, report

from ingest.reports.base import Report
from storage.clickhouse.client import ClickHouseStore
from storage.jobs.base import JobContext
from storage.jobs.deletions import DeletionRequest, register, run_deletions
from storage.jobs.expire import expire
from storage.jobs.policy import RetentionPolicy
from storage.jobs.ttl import current_ttl_days, sync_ttl
from storage.objects import LocalObjectStore

# First seen 22, 15, 8 and 1 days ago (5, 4, 3 and 2 installs: the last cohort is under k = 3). Within 23 days:
# the per-install rollup keeps a week until its Monday is 30 days old (its default TTL, which ClickHouse
# applies even as rows are written), while raw rows keep them all.
FIRST = (22, 22, 22, 22, 22, 15, 15, 15, 15, 8, 8, 8, 1, 1)
ON_2_0 = {0, 1, 2, 5, 6, 7}


def both(settings: Any, name: str, **raw: str) -> tuple[Report, Report]:
    return report(settings, name, source="rollup", **raw), report(settings, name, source="raw", **raw)


def seed_activity(db: ClickHouseStore, people: list[str]) -> None:
    """Cohorts of different sizes on two releases; some come back weekly, some the next day, some never."""
    for index, (install, first) in enumerate(zip(people, FIRST, strict=True)):
        version = "2.0" if index in ON_2_0 else "1.0"
        insert(db, install, "a.open", days_ago=first, version=version)
        returns = list(range(first - 7, -1, -7)) if index % 3 else []
        for days_ago in returns + ([first - 1] if index % 2 == 0 and first else []):
            insert(db, install, "a.open" if index % 2 else "a.save", days_ago=days_ago, version=version)


def test_retention_from_the_rollup_equals_raw_rows(make_settings: Any, db: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_CLICKHOUSE_DATABASE=db.database, CONSENTRY_REPORTS_MIN_INSTALLS="3")
    people = installs(14)
    seed_activity(db, people)
    for extra in ({"interval": "week"}, {"interval": "day"}, {"interval": "week", "event": "a.open"},
                  {"interval": "week", "release": "1.0"}, {"interval": "day", "release": "2.0"}):
        rollup, raw = both(settings, "retention", since="25d", **extra)
        assert (rollup.source, raw.source) == ("rollup", "raw")
        assert rollup.rows == raw.rows, extra
        assert any(not row["suppressed"] for row in rollup.rows), extra
        assert any(row["suppressed"] for row in rollup.rows) or "release" in extra, extra  # blanked both ways
        assert not set(people) & set(msgspec.json.encode(rollup).decode().split('"'))
    weekly = report(settings, "retention", since="25d", interval="week")
    sizes = [row["cohort_installs"] for row in weekly.rows if row["offset"] == 0]
    assert sizes == [5, 4, 3, None]  # the newest cohort has 2 installs: suppressed
    # Event names are kept per week: a daily retention of one returning event reads raw rows, and says so.
    fallback = report(settings, "retention", since="25d", interval="day", event="a.open")
    assert fallback.source == "raw" and fallback.rows


def test_active_from_the_trailing_rollup_equals_raw_rows(settings: Any, db: ClickHouseStore) -> None:
    seed_activity(db, installs(14))
    for extra in ({}, {"interval": "week"}, {"release": "1.0"}, {"event": "a.save", "interval": "week"},
                  {"event": "a.open", "release": "2.0"}):
        rollup, raw = both(settings, "active", since="20d", **extra)
        assert rollup.rows == raw.rows, extra
        assert any(row[col] is not None for row in rollup.rows for col in ("dau", "wau", "mau")), extra
        # Rows per release and per event, not per both: that pair reads raw rows, and says so.
        assert rollup.source == ("raw" if {"event", "release"} <= set(extra) else "rollup"), extra


def test_crash_free_from_rollups(make_settings: Any, db: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_CLICKHOUSE_DATABASE=db.database, CONSENTRY_REPORTS_MIN_INSTALLS="3")
    people = installs(6)
    for index, install in enumerate(people):
        for started in (-20, -10):  # two sessions each on 1.0; two installs crash in their later one
            insert(db, install, "a.open", session=str(uuid.uuid4()), version="1.0", minutes=started)
        if index < 2:
            crash(db, install, version="1.0")
    for install in people[:2]:  # 2.0: two installs only, under k = 3
        insert(db, install, "a.open", version="2.0")
    rollup, raw = both(settings, "crash-free", since="1d")
    assert rollup.rows == raw.rows
    cols = ("release", "sessions", "installs", "crash_free_sessions", "crash_free_installs")
    assert [tuple(row[c] for c in cols) for row in rollup.rows] == [("1.0", 12, 6, 0.8333, 0.6667),
                                                                   (None, None, None, None, None)]
    assert rollup.rows[1]["suppressed"] == list(cols)
    # Crashes carry no session id: the rollup counts each crash as a crashed session (docs/reports.md), raw rows
    # attribute both crashes of one session to it.
    crash(db, people[0], version="1.0", minutes=2)
    rollup, raw = both(settings, "crash-free", since="1d")
    assert (rollup.rows[0]["crash_free_sessions"], raw.rows[0]["crash_free_sessions"]) == (0.75, 0.8333)
    assert rollup.rows[0]["crash_free_installs"] == raw.rows[0]["crash_free_installs"] == 0.6667


def test_deletion_removes_the_install_from_the_per_install_rollup(db: ClickHouseStore, tmp_path: Path) -> None:
    gone, kept = installs(2)
    for install in (gone, kept):
        insert(db, install, "a.open", days_ago=1)
        insert(db, install, "a.save", days_ago=8)
    weeks = f"SELECT install_id, count() FROM {db.database}.rollup_install_weeks GROUP BY install_id ORDER BY 1"
    assert sorted(str(row[0]) for row in db.query(weeks).rows) == sorted([gone, kept])
    now = datetime.now(UTC)
    register(db, [DeletionRequest(uuid.uuid4(), uuid.UUID(gone), "consent_withdrawn", now)], b"k" * 32, now)
    outcome = run_deletions(db, LocalObjectStore(tmp_path), b"k" * 32, now)
    assert outcome.rows["rollup_install_weeks"] >= 1 and outcome.rows["events"] == 2
    assert [str(row[0]) for row in db.query(weeks).rows] == [kept]


def test_the_per_install_rollup_lives_as_long_as_identifiable_events(db: ClickHouseStore) -> None:
    assert current_ttl_days(db, "rollup_install_weeks") == 30  # events_deidentify_days
    assert current_ttl_days(db, "rollup_active_trailing") == 761  # the sketch rollups' own class
    changed = sync_ttl(db, RetentionPolicy(events_deidentify_days=45, rollups_delete_days=400))
    assert {"rollup_install_weeks", "rollup_crashes_daily", "rollup_active_trailing"} <= set(changed)
    assert current_ttl_days(db, "rollup_install_weeks") == 45
    assert current_ttl_days(db, "rollup_active_trailing") == 400


def test_the_expire_job_drops_weeks_past_the_de_identify_threshold(db: ClickHouseStore, tmp_path: Path) -> None:
    old, recent = installs(2)
    insert(db, old, "a.open", days_ago=45)  # its week is past the TTL already: the row never lands
    insert(db, recent, "a.open", days_ago=2)
    weeks = f"SELECT install_id FROM {db.database}.rollup_install_weeks"
    assert [str(row[0]) for row in db.query(weeks).rows] == [recent]
    later = datetime.now(UTC) + timedelta(days=40)  # the recent week is now past it too
    ctx = JobContext(db, LocalObjectStore(tmp_path), RetentionPolicy(), lambda: later, lambda *_: None)
    result = expire(ctx)
    assert result.rows["rollup_install_weeks"] == 1 and result.rows["events"] == 0  # events stay 180 days
    assert db.query(weeks).rows == []
