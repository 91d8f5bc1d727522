"""The trailing-window active rollup is recomputed by the writer from the daily sketches, not at insert."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from report_support import TODAY, insert, installs
from support import drain, make_batch

from ingest.app import create_app
from ingest.reports.base import assemble
from ingest.reports.registry import prepare
from ingest.settings import Settings
from ingest.state import WRITER_SERVICE
from storage.clickhouse.client import ClickHouseStore
from storage.trailing import refresh_trailing

SKETCHES = "uniqCombinedMerge(dau), uniqCombinedMerge(wau), uniqCombinedMerge(mau), uniqCombinedMerge(sessions)"


def trailing(store: ClickHouseStore) -> list[list[Any]]:
    return store.query(f"SELECT day, app_version, name, {SKETCHES} FROM {store.database}.rollup_active_trailing "
                       "GROUP BY day, app_version, name ORDER BY day, app_version, name").rows


def test_inserts_leave_it_alone_and_a_refresh_fills_it_once_however_often_it_runs(db: ClickHouseStore) -> None:
    people = installs(4)
    for index, install in enumerate(people):
        insert(db, install, "a.open", days_ago=index * 3, version="1.0", session=str(uuid.UUID(int=index + 1)))
        insert(db, install, "a.save", days_ago=0, version="2.0")
    assert trailing(db) == []  # no insert-time view any more
    today = TODAY.date()
    refresh_trailing(db, today - timedelta(days=40), today)
    once = trailing(db)
    by_key = {(row[0], row[1], row[2]): row[3:] for row in once}
    assert by_key[(today, "", "")] == [4, 4, 4, 5]  # dau, wau, mau, sessions: all four today (a.save)
    assert by_key[(today, "1.0", "")] == [1, 3, 4, 1]  # 1.0 seen 0, 3, 6, 9 days ago
    assert by_key[(today, "", "a.open")][:3] == [1, 3, 4]
    for _ in range(2):  # sketches merged with themselves: appending the same rows again changes nothing
        refresh_trailing(db, today - timedelta(days=40), today)
    assert trailing(db) == once


def test_a_refresh_covers_only_the_days_asked_for(db: ClickHouseStore) -> None:
    insert(db, installs(1)[0], "a.open", days_ago=10)
    today = TODAY.date()
    refresh_trailing(db, today - timedelta(days=2), today)
    days = {row[0] for row in trailing(db)}
    assert days == {today - timedelta(days=2), today - timedelta(days=1), today}  # 10 days back is in their mau


def _active(settings: Settings, store: ClickHouseStore, source: str) -> list[dict[str, Any]]:
    spec, params = prepare("active", {"since": "14d", "source": source}, settings.reports.breakdown_props)
    sql = spec.build(params, settings.clickhouse.database)
    return assemble(spec, params, store.query(sql), 1).rows  # k = 1: compare the counts themselves


async def test_a_read_barrier_makes_recent_days_exact_and_the_rest_follows(make_settings: Any,
                                                                          store: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_REPORTS_TRAILING_REFRESH_S="3600")  # no periodic run during the test
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        await drain(client)  # the start-up refresh is done: what follows is stale until refreshed
        for days_ago in (0, 5, 12):  # a late batch for 12 days ago counts toward every report day after it
            batch = make_batch(2, ts=datetime.now(UTC) - timedelta(days=days_ago, minutes=5))
            assert (await client.post("/v1/events", json=batch)).status == 202
        writer = client.server.app[WRITER_SERVICE].writer
        await writer.flush()  # what a report or `consentry query` does first
        rollup, raw = _active(settings, store, "rollup"), _active(settings, store, "raw")
        assert rollup[-2:] == raw[-2:]  # yesterday and today: every acknowledged event counted
        assert rollup[-1]["mau"] == 3 and rollup[-1]["dau"] == 1
        assert rollup[:-2] != raw[:-2]  # days 12 to 2 ago wait for the periodic run
        await writer.trailing.everything()  # the periodic run
        assert _active(settings, store, "rollup") == raw


async def test_the_writer_refreshes_on_its_own_after_inserts(make_settings: Any, store: ClickHouseStore) -> None:
    # A short linger: the insert schedule is not what this test is about, and the default (2 s) eats its time.
    settings = make_settings(CONSENTRY_REPORTS_TRAILING_REFRESH_S="1", CONSENTRY_WRITER_LINGER_MS="100")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        batch = make_batch(3, ts=datetime.now(UTC) - timedelta(days=3))
        assert (await client.post("/v1/events", json=batch)).status == 202
        deadline = asyncio.get_running_loop().time() + 60  # a loaded machine; ends as soon as the rows are there
        while not trailing(store) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)  # no flush here: only the writer's own schedule can fill it
        days = {row[0] for row in trailing(store)}
        assert days and min(days) == (datetime.now(UTC) - timedelta(days=3)).date()
