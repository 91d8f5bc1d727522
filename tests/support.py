"""Helpers shared by tests: building request bodies and counting stored rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import msgspec

from storage.clickhouse.client import ClickHouseStore


def stored_count(store: ClickHouseStore, where: str = "1") -> int:
    result = store.query(f"SELECT count() FROM {store.database}.events WHERE {where}")
    return int(result.rows[0][0])


def make_batch(n: int = 3, *, consent: Any = "granted", install_id: str | None = None,
               ts: datetime | None = None, props: dict[str, Any] | None = None) -> dict[str, Any]:
    when = (ts or datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    batch: dict[str, Any] = {
        "install_id": install_id or str(uuid.uuid4()),
        "context": {"app": "interpreter", "app_version": "1.4.2", "os": "macos", "os_version": "15.1",
                    "device_type": "laptop"},
        "events": [
            {"event_id": str(uuid.uuid4()), "name": "editor.opened", "ts": when, "session_id": str(uuid.uuid4()),
             "props": props if props is not None else {"mode": "split", "duration_ms": 1234 + i, "ok": True}}
            for i in range(n)
        ],
    }
    if consent is not None:
        batch["consent"] = {"telemetry": consent, "policy_version": "2026-01-21"}
    return batch


def crash_form(install_id: str | None = None, *, dump: bytes | None = b"MDMP not really",
               attachment: bytes | None = None, consent: str = "granted") -> aiohttp.FormData:
    """A native crash upload: a JSON report, optionally a minidump and one text attachment."""
    report = {"crash_id": str(uuid.uuid4()), "install_id": install_id or str(uuid.uuid4()),
              "consent": {"crash_report": consent},
              "context": {"app": "interpreter", "app_version": "1.0", "os": "linux"},
              "exception": {"type": "KeyError", "message": "'x'"}}
    form = aiohttp.FormData()
    form.add_field("report", msgspec.json.encode(report), filename="r.json", content_type="application/json")
    if dump is not None:
        form.add_field("minidump", dump, filename="d.dmp", content_type="application/octet-stream")
    if attachment is not None:
        form.add_field("attachment", attachment, filename="log.txt", content_type="text/plain")
    return form


async def drain(client: Any) -> None:
    """Wait until the app's embedded writer has stored everything acknowledged so far, and has refreshed the
    trailing-window rollup for every day those events fell on (a read barrier alone refreshes recent days)."""
    from ingest.state import WRITER_SERVICE

    writer = client.server.app[WRITER_SERVICE].writer
    await writer.flush()
    if writer.trailing is not None:
        await writer.trailing.everything()


async def stored(client: Any, store: ClickHouseStore, where: str = "1") -> int:
    """Rows stored once the writer has drained everything the app acknowledged."""
    await drain(client)
    return stored_count(store, where)
