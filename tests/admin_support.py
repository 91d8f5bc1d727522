"""Crash uploads and the admin token shared by the admin API tests and the admin page's browser tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from aiohttp.test_utils import TestClient

TOKEN = "admin-" + "x" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DUMP = (Path(__file__).parent / "fixtures" / "minidumps" / "windows_amd64.dmp").read_bytes()


def report(function: str = "open_document", version: str = "1.4.2", install: str | None = None,
           minutes_ago: int = 3) -> dict[str, Any]:
    return {
        "crash_id": str(uuid.uuid4()), "install_id": install or str(uuid.uuid4()),
        "consent": {"crash_report": "granted"},
        "context": {"app": "interpreter", "app_version": version, "os": "windows", "os_version": "10.0.22631"},
        "ts": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "exception": {"type": "FileNotFoundError", "message": "No such file: 'C:\\Users\\Bob Smith\\taxes.pdf'"},
        "threads": [{"crashed": True, "frames": [
            {"function": function, "module": "interpreter.docs", "file": "C:\\Users\\Bob Smith\\app\\docs.py",
             "line": 42, "in_app": True},
            {"function": "send", "module": "httpx._client", "file": "httpx/_client.py", "line": 901},
        ]}],
    }


def upload(body: dict[str, Any], dump: bytes | None = DUMP) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("report", msgspec.json.encode(body), filename="report.json", content_type="application/json")
    if dump is not None:
        data.add_field("minidump", dump, filename="crash.dmp", content_type="application/octet-stream")
    return data


async def post(client: TestClient, body: dict[str, Any], dump: bytes | None = DUMP) -> str:
    response = await client.post("/v1/crashes", data=upload(body, dump))
    assert response.status == 202, await response.text()
    return str((await response.json())["group_id"])
