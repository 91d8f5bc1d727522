"""Reports end to end on real chDB: counts, k-anonymity in every format, rollups equal raw rows, refusals."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer
from report_support import TODAY, crash, insert, installs, report

from ingest.app import create_app
from ingest.cli import main
from ingest.reports.base import Report
from ingest.reports.params import ReportArgumentError
from ingest.reports.registry import prepare
from ingest.settings import ConfigError, Settings
from storage.clickhouse.client import ClickHouseStore

TOKEN = "report-" + "x" * 40


def cells(result: Report, *cols: str) -> list[tuple[Any, ...]]:
    return [tuple(row[col] for col in cols) for row in result.rows]


def test_trends_counts_and_a_rare_breakdown_value_is_suppressed(settings: Settings, db: ClickHouseStore) -> None:
    for install in installs(6):
        insert(db, install, "editor.opened", props={"mode": "split"})
        insert(db, install, "editor.opened", props={"mode": "split"})
    insert(db, installs(1)[0], "editor.opened", props={"mode": "zen"})  # one install only
    for source in ("rollup", "raw"):
        result = report(settings, "trends", since="2d", breakdown="mode", source=source)
        assert cells(result, "value", "events", "installs") == [("split", 12, 6), (None, None, None)]
        assert result.rows[1]["suppressed"] == ["value", "events", "installs"]
        assert "zen" not in msgspec.json.encode(result).decode()
    total = report(settings, "trends", since="2d", event="editor.opened")
    assert cells(total, "events", "installs") == [(13, 7)]


def test_cells_under_k_are_suppressed_in_every_format(settings: Settings, db: ClickHouseStore,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    for install in installs(3):
        insert(db, install, "app.started")
    env = {"since": "2d", "until": TODAY.date().isoformat()}
    assert report(settings, "trends", **env).rows[0]["installs"] is None
    args = ["report", "trends", "--since", "2d"]
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {"CONSENTRY_DATA_DIR": settings.data_dir, "CONSENTRY_CLICKHOUSE_URL": settings.clickhouse.url,
                           "CONSENTRY_CLICKHOUSE_DATABASE": settings.clickhouse.database}.items():
            patch.setenv(key, value)
        assert main([*args, "--format", "csv"]) == 0
        rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
        assert rows[0] == ["period", "events", "installs"] and rows[1][1:] == ["<5", "<5"]
        assert main([*args, "--format", "table"]) == 0
        assert "<5" in capsys.readouterr().out
        assert main([*args, "--format", "json"]) == 0
        row = msgspec.json.decode(capsys.readouterr().out)["rows"][0]
        assert row["events"] is None and row["suppressed"] == ["events", "installs"]
        assert main([*args, "--breakdown", "email"]) == 2
        assert "not a low-cardinality prop" in capsys.readouterr().err


def test_rollup_reports_equal_raw_row_reports(settings: Settings, db: ClickHouseStore) -> None:
    people = installs(12)
    for index, install in enumerate(people):
        for day in range(0, 40, 1 + index % 4):
            insert(db, install, "editor.opened" if day % 2 else "app.started", days_ago=day,
                   version="1.0" if index % 3 else "2.0", props={"theme": "dark" if index % 2 else "light"})
    for name, extra in (("trends", {}), ("trends", {"breakdown": "theme"}), ("trends", {"interval": "week"}),
                        ("trends", {"release": "1.0", "event": "app.started"}), ("active", {}),
                        ("active", {"interval": "week"}), ("active", {"event": "editor.opened"})):
        rollup = report(settings, name, since="45d", source="rollup", **extra)
        raw = report(settings, name, since="45d", source="raw", **extra)
        assert rollup.rows == raw.rows, (name, extra)
        assert rollup.rows and any(not row["suppressed"] for row in rollup.rows)
    active = report(settings, "active", since="0d")
    assert cells(active, "dau", "wau", "mau")[-1][2] == 12


def test_retention_funnel_and_crash_free(make_settings: Any, db: ClickHouseStore) -> None:
    settings = make_settings(CONSENTRY_CLICKHOUSE_DATABASE=db.database, CONSENTRY_REPORTS_MIN_INSTALLS="2")
    people = installs(4)
    for index, install in enumerate(people):
        session = str(uuid.uuid4())
        insert(db, install, "a.open", days_ago=14, session=session)
        insert(db, install, "a.save", days_ago=14, minutes=5, session=session)
        if index < 2:
            insert(db, install, "a.open", days_ago=0, session=session)
            insert(db, install, "a.share", days_ago=14, minutes=10, session=session)
    retention = report(settings, "retention", since="20d", interval="week")
    assert cells(retention, "offset", "cohort_installs", "active_installs", "share") == [(0, 4, 4, 1.0),
                                                                                         (2, 4, 2, 0.5)]
    funnel = report(settings, "funnel", since="20d", steps="a.open,a.save,a.share", window="1h")
    assert cells(funnel, "installs", "conversion", "step_conversion") == [(4, 1.0, 1.0), (4, 1.0, 1.0),
                                                                          (2, 0.5, 0.5)]
    for install in people[:3]:
        insert(db, install, "a.open", session=str(uuid.uuid4()), version="2.0")
    crash(db, people[0], version="2.0")
    free = report(settings, "crash-free", since="1d")
    assert cells(free, "release", "sessions", "installs", "crash_free_sessions", "crash_free_installs") == [
        ("1.0", 2, 2, 1.0, 1.0), ("2.0", 3, 3, 0.6667, 0.6667)]
    assert "install_id" not in msgspec.json.encode(free).decode()


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("trends", {"breakdown": "email"}, "not a low-cardinality prop"),
    ("trends", {"interval": "month"}, "interval must be one of"),
    ("trends", {"since": "yesterday"}, "since must look like"),
    ("trends", {"since": "1d", "until": "3d"}, "must not be after"),
    ("trends", {"event": "Robert'); DROP"}, "dotted snake_case"),
    ("trends", {"steps": "a.b,c.d"}, "takes no steps"),
    ("funnel", {}, "steps is required"),
    ("funnel", {"steps": "a.b"}, "2 to 10"),
    ("funnel", {"steps": "a.b,c.d", "window": "forever"}, "window must look like"),
    ("funnel", {"steps": "a.b,c.d", "source": "rollup"}, "takes no source"),
    ("crash-free", {"release": "1.0;x'"}, "a release is"),
    ("nope", {}, "no report"),
])
def test_bad_arguments_are_refused(settings: Settings, name: str, raw: dict[str, str], message: str) -> None:
    with pytest.raises(ReportArgumentError, match=message):
        prepare(name, raw, settings.reports.breakdown_props)


def test_min_installs_cannot_go_below_two(make_settings: Any) -> None:
    with pytest.raises(ConfigError, match="min_installs"):
        make_settings(CONSENTRY_REPORTS_MIN_INSTALLS="1")


@pytest.fixture
async def admin(make_settings: Any) -> AsyncIterator[tuple[TestClient, Settings]]:
    settings = make_settings(CONSENTRY_ADMIN_TOKEN=TOKEN)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client, settings


async def test_admin_report_api(admin: tuple[TestClient, Settings], store: ClickHouseStore) -> None:
    client, _ = admin
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for install in installs(5):
        insert(store, install, "app.started", props={"locale": "de"})
    insert(store, installs(1)[0], "app.started", props={"locale": "fr"})
    response = await client.get("/v1/admin/reports/trends?since=1d&breakdown=locale", headers=auth)
    assert response.status == 200, await response.text()
    rows = (await response.json())["rows"]
    assert [(r["value"], r["installs"], r["suppressed"]) for r in rows] == [
        ("de", 5, []), (None, None, ["value", "events", "installs"])]
    response = await client.get("/v1/admin/reports/trends?format=csv&since=1d&breakdown=locale", headers=auth)
    assert "<5" in await response.text() and "fr" not in await response.text()
    for query in ("trends?breakdown=email", "funnel?steps=a", "trends?bogus=1", "nope"):
        response = await client.get(f"/v1/admin/reports/{query}", headers=auth)
        assert response.status == 400, query
        assert (await response.json())["error"]["code"] == "malformed_parameter"
    assert (await client.get("/v1/admin/reports/trends")).status == 401


def test_breakdown_keys_follow_the_setting_and_rollups_follow_their_retention(db: ClickHouseStore) -> None:
    from storage.jobs.policy import RetentionPolicy
    from storage.jobs.ttl import current_ttl_days, sync_ttl
    from storage.rollups import sync_breakdown_keys

    assert sync_breakdown_keys(db, ["mode", "plan"]) and not sync_breakdown_keys(db, ["plan", "mode"])
    insert(db, installs(1)[0], "app.started", props={"mode": "a", "theme": "dark", "plan": "pro"})
    keys = db.query(f"SELECT prop_key FROM {db.database}.rollup_props_daily ORDER BY prop_key").rows
    assert keys == [["mode"], ["plan"]]
    assert current_ttl_days(db, "rollup_props_daily") == 761
    assert "rollup_events_daily" in sync_ttl(db, RetentionPolicy(rollups_delete_days=400))
    assert current_ttl_days(db, "rollup_active_daily") == 400


def test_query_help_calls_itself_the_escape_hatch(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    out = capsys.readouterr().out
    assert "escape hatch" in out and "consentry report" in out
