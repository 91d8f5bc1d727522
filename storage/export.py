"""Data-subject export: everything stored for one install, as JSON Lines plus the object files."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from storage.clickhouse.client import QueryResult
from storage.errors import ObjectNotFound
from storage.objects import ObjectStore

Query = Callable[[str], QueryResult]
# table -> the column its rows are ordered by. rollup_install_weeks is the per-install report rollup (schemas/0007):
# which days of each week the install was active and which events it sent, derived from its events.
TABLES = {"events": "ts", "crashes": "ts", "rollup_install_weeks": "week"}


class ExportManifest(msgspec.Struct, frozen=True):
    install_id: str
    exported_at: datetime
    rows: dict[str, int]
    objects: int
    files: list[str]


class ExportedObject(msgspec.Struct, frozen=True):
    key: str
    size: int
    sha256: str
    file: str  # relative to the export directory; empty when the object had expired


def _records(result: QueryResult) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _object_keys(crashes: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for crash in crashes:
        keys += ([crash["minidump_key"]] if crash.get("minidump_key") else []) + list(crash.get("attachment_keys", []))
    return keys


def export_install(install_id: uuid.UUID, database: str, query: Query, objects: ObjectStore,
                   out: Path) -> ExportManifest:
    """Write events.jsonl, crashes.jsonl, objects.jsonl, objects/<key> and manifest.json under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder()
    rows: dict[str, int] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    for table, order in TABLES.items():
        found[table] = _records(query(f"SELECT * FROM {database}.{table} WHERE install_id = '{install_id}' "
                                      f"ORDER BY {order}"))
        (out / f"{table}.jsonl").write_bytes(encoder.encode_lines(found[table]))
        rows[table] = len(found[table])
    listed: list[ExportedObject] = []
    for key in _object_keys(found["crashes"]):
        try:
            data = objects.get(key)
        except ObjectNotFound:  # expired by retention while the row remains: listed, no file
            listed.append(ExportedObject(key, 0, "", ""))
            continue
        target = out / "objects" / key  # keys are ids joined by '/', validated by the object store
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        listed.append(ExportedObject(key, len(data), hashlib.sha256(data).hexdigest(), f"objects/{key}"))
    (out / "objects.jsonl").write_bytes(encoder.encode_lines(listed))
    files = [f"{t}.jsonl" for t in TABLES] + ["objects.jsonl"] + [o.file for o in listed if o.file]
    manifest = ExportManifest(str(install_id), datetime.now(UTC), rows, len(listed), files)
    (out / "manifest.json").write_bytes(msgspec.json.format(encoder.encode(manifest), indent=2))
    return manifest
