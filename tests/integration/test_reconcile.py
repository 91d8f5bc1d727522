"""The reconcile job removes crash objects that no row refers to, once they are old enough, and nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from support import crash_form, drain

from ingest.app import create_app
from ingest.stores import open_objects
from storage.clickhouse.client import ClickHouseStore
from storage.jobs import JobContext, RetentionPolicy
from storage.jobs.reconcile import reconcile


async def test_orphans_go_and_referenced_objects_stay(make_settings: Any, store: ClickHouseStore) -> None:
    settings = make_settings()
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        assert (await client.post("/v1/crashes", data=crash_form(dump=b"MDMP kept"))).status == 202
        await drain(client)
    objects = open_objects(settings)
    orphan = f"crashes/{datetime.now(UTC):%Y/%m/%d}/{uuid.uuid4()}/minidump.dmp"
    objects.put(orphan, b"MDMP orphan")  # as if a worker died after storing it, before spooling the row
    before = sorted(o.key for o in objects.list("crashes/"))

    def context(now: datetime) -> JobContext:
        return JobContext(store, objects, RetentionPolicy(), lambda: now, lambda done, total: None)

    fresh = reconcile(context(datetime.now(UTC)))  # too young to call an orphan: its row may still be spooled
    assert fresh.objects == 0 and sorted(o.key for o in objects.list("crashes/")) == before
    later = reconcile(context(datetime.now(UTC) + timedelta(hours=25)))
    assert later.objects == 1
    assert sorted(o.key for o in objects.list("crashes/")) == [k for k in before if k != orphan]
    assert reconcile(context(datetime.now(UTC) + timedelta(hours=25))).objects == 0  # re-run changes nothing
    objects.close()
