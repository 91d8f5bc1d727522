"""The admin API end to end: bearer token, crash groups, one crash, minidump download (local store and S3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from admin_support import AUTH, DUMP, TOKEN, post, report
from aiohttp.test_utils import TestClient, TestServer
from s3server import S3Server
from support import drain

from ingest.app import create_app
from ingest.stores import open_objects


@pytest.fixture(params=["local", "s3"])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "local":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    return {"CONSENTRY_OBJECT_STORE_URL": f"s3://{request.getfixturevalue('s3_bucket')}",
            "CONSENTRY_S3_ENDPOINT": server.endpoint, "CONSENTRY_S3_ACCESS_KEY": server.access_key,
            "CONSENTRY_S3_SECRET_KEY": server.secret_key}


async def refusals(client: TestClient, code: str) -> float:
    text = await (await client.get("/metrics")).text()
    line = next(line for line in text.splitlines() if line.startswith(f'consentry_refusals_total{{code="{code}"}}'))
    return float(line.split()[-1])


async def test_without_a_token_the_admin_routes_do_not_exist(client: TestClient) -> None:
    for path in ("/v1/admin/crash-groups", f"/v1/admin/crashes/{uuid.uuid4()}/minidump"):
        for headers in ({}, {"Authorization": "Bearer "}, AUTH):
            assert (await client.get(path, headers=headers)).status == 404


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}",
                                           f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ü" + TOKEN])
async def test_missing_or_wrong_token_is_401_and_counted(admin: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    before = await refusals(admin, "unauthorized")
    for path in ("/v1/admin/crash-groups", f"/v1/admin/crashes/{uuid.uuid4()}/minidump", "/v1/admin/crashes/nope"):
        response = await admin.get(path, headers=headers)
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await refusals(admin, "unauthorized") == before + 3


async def test_group_list_and_detail(admin: TestClient) -> None:
    install = str(uuid.uuid4())
    big = await post(admin, report(install=install, version="1.4.2", minutes_ago=30))
    for version in ("1.4.2", "1.5.0"):
        assert await post(admin, report(install=install, version=version)) == big
    assert await post(admin, report(version="1.5.0", minutes_ago=1)) == big
    small = await post(admin, report(function="save_document", version="1.5.0"))
    assert small != big
    response = await admin.get("/v1/admin/crash-groups", headers=AUTH)
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    groups = (await response.json())["groups"]
    # Both groups are under K = 5 installs: listed for triage, install counts withheld (see test_admin_page.py).
    assert [(g["group_id"], g["crashes"], g["installs"]) for g in groups] == [(big, 4, None), (small, 1, None)]
    assert groups[0]["releases"] == ["1.4.2", "1.5.0"] and groups[0]["exception_type"] == "FileNotFoundError"
    assert "Bob" not in groups[0]["sample_message"] and groups[0]["first_seen"] < groups[0]["last_seen"]
    filtered = await (await admin.get("/v1/admin/crash-groups?release=1.4.2&since=24h&limit=5", headers=AUTH)).json()
    assert [(g["group_id"], g["crashes"]) for g in filtered["groups"]] == [(big, 2)]
    future = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert (await (await admin.get(f"/v1/admin/crash-groups?since={future}", headers=AUTH)).json())["groups"] == []
    assert len((await (await admin.get("/v1/admin/crash-groups?limit=1", headers=AUTH)).json())["groups"]) == 1
    detail = await (await admin.get(f"/v1/admin/crash-groups/{big.upper()}", headers=AUTH)).json()
    assert detail["group"]["group_id"] == big and detail["group"]["crashes"] == 4
    latest = detail["crashes"]
    assert len(latest) == 4 and latest[0]["ts"] > latest[-1]["ts"] and latest[0]["ts"].endswith("Z")
    frame = latest[0]["frames"][0]
    assert (frame["module"], frame["function"], frame["in_app"]) == ("interpreter.docs", "open_document", True)
    assert "Bob" not in frame["file"]


async def test_crash_detail(admin: TestClient) -> None:
    body = report()
    group = await post(admin, body)
    response = await admin.get(f"/v1/admin/crashes/{body['crash_id']}", headers=AUTH)
    assert response.status == 200
    crash = (await response.json())["crash"]
    assert (crash["crash_id"], crash["group_id"], crash["install_id"]) == (body["crash_id"], group, body["install_id"])
    assert crash["has_minidump"] is True and crash["minidump_size"] == len(DUMP) and crash["minidump_parsed"] is True
    assert crash["frames"][1]["line"] == 901 and "minidump_key" not in crash


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/v1/admin/crashes/{unknown}", 404, "not_found"),
    ("/v1/admin/crashes/{unknown}/minidump", 404, "not_found"),
    ("/v1/admin/crash-groups/" + "0" * 32, 404, "not_found"),
    ("/v1/admin/crashes/nope", 400, "malformed_parameter"),
    ("/v1/admin/crashes/nope/minidump", 400, "malformed_parameter"),
    ("/v1/admin/crashes/'%20OR%201=1--/minidump", 400, "malformed_parameter"),
    ("/v1/admin/crash-groups/" + "g" * 32, 400, "malformed_parameter"),
    ("/v1/admin/crash-groups/" + "a" * 33, 400, "malformed_parameter"),
    ("/v1/admin/crash-groups?since=7x", 400, "malformed_parameter"),
    ("/v1/admin/crash-groups?since=2026-13-01", 400, "malformed_parameter"),
    ("/v1/admin/crash-groups?limit=0", 400, "malformed_parameter"),
    ("/v1/admin/crash-groups?limit=1e3", 400, "malformed_parameter"),
    ("/v1/admin/crash-groups?release=1.0'%20OR%20'1'='1", 400, "malformed_parameter"),
])
async def test_unknown_and_malformed_ids(admin: TestClient, path: str, status: int, code: str) -> None:
    await post(admin, report())  # a table with a row, so "not found" is about the id
    before = await refusals(admin, code)
    response = await admin.get(path.replace("{unknown}", str(uuid.uuid4())), headers=AUTH)
    assert response.status == status, await response.text()
    assert (await response.json())["error"]["code"] == code
    assert await refusals(admin, code) == before + 1


async def test_minidump_download_is_byte_for_byte(make_settings: Any, store_env: dict[str, str]) -> None:
    settings = make_settings(CONSENTRY_ADMIN_TOKEN=TOKEN, **store_env)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        body, bare = report(), report()
        await post(client, body)
        await post(client, bare, dump=None)
        response = await client.get(f"/v1/admin/crashes/{body['crash_id']}/minidump", headers=AUTH)
        assert response.status == 200
        assert await response.read() == DUMP
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{body["crash_id"]}.dmp"'
        missing = await client.get(f"/v1/admin/crashes/{bare['crash_id']}/minidump", headers=AUTH)
        assert missing.status == 404 and "no minidump" in (await missing.json())["error"]["message"]
        await drain(client)
        with open_objects(settings) as objects:  # the row outlives its object: 404, not 500
            objects.delete_prefix("crashes/")
        gone = await client.get(f"/v1/admin/crashes/{body['crash_id']}/minidump", headers=AUTH)
        assert gone.status == 404 and (await gone.json())["error"]["code"] == "not_found"
