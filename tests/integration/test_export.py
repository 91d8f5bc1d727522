"""Data-subject export: exactly one install's events, crashes and objects, from the CLI and the admin API."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from support import crash_form, drain, make_batch

from ingest.app import create_app
from ingest.cli import dsr

TOKEN = "t" * 40



async def seed(client: TestClient) -> tuple[str, list[str], bytes]:
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    batch = make_batch(3, install_id=mine)
    assert (await client.post("/v1/events", json=batch)).status == 202
    assert (await client.post("/v1/events", json=make_batch(2, install_id=other))).status == 202
    dump = b"MDMP" + uuid.uuid4().bytes
    assert (await client.post("/v1/crashes", data=crash_form(mine, dump=dump))).status == 202
    assert (await client.post("/v1/crashes", data=crash_form(other, dump=b"MDMP other"))).status == 202
    await drain(client)
    return mine, [e["event_id"] for e in batch["events"]], dump


async def test_cli_export_has_exactly_that_install(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings()
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        mine, event_ids, dump = await seed(client)
        out = tmp_path / "export"
        args = argparse.Namespace(install_id=mine, out=out)
        assert await asyncio.to_thread(dsr.main, settings, args) == 0  # through the control socket
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert sorted(e["event_id"] for e in events) == sorted(event_ids)
    assert {e["install_id"] for e in events} == {mine}
    crashes = [json.loads(line) for line in (out / "crashes.jsonl").read_text().splitlines()]
    assert len(crashes) == 1 and crashes[0]["install_id"] == mine
    objects = [json.loads(line) for line in (out / "objects.jsonl").read_text().splitlines()]
    assert len(objects) == 1 and (out / objects[0]["file"]).read_bytes() == dump
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == {"events": 3, "crashes": 1, "rollup_install_weeks": 1} and manifest["objects"] == 1
    weeks = [json.loads(line) for line in (out / "rollup_install_weeks.jsonl").read_text().splitlines()]
    assert weeks[0]["install_id"] == mine and weeks[0]["days"] and weeks[0]["names"]


async def test_admin_export_zip(make_settings: Any) -> None:
    settings = make_settings(CONSENTRY_ADMIN_TOKEN=TOKEN)
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        mine, event_ids, dump = await seed(client)
        assert (await client.get(f"/v1/admin/installs/{mine}/export")).status == 401
        response = await client.get(f"/v1/admin/installs/{mine}/export",
                                    headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status == 200 and response.content_type == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(await response.read()))
        events = [json.loads(line) for line in archive.read("events.jsonl").decode().splitlines()]
        assert sorted(e["event_id"] for e in events) == sorted(event_ids)
        dumps = [n for n in archive.namelist() if n.endswith("minidump.dmp")]
        assert len(dumps) == 1 and archive.read(dumps[0]) == dump
        bad = await client.get("/v1/admin/installs/nope/export", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bad.status == 400
