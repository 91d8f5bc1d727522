"""GET /v1/admin/installs/{install_id}/export: the data-subject export as a zip (same content as `dsr export`)."""

from __future__ import annotations

import asyncio
import io
import tempfile
import uuid
import zipfile
from pathlib import Path

from aiohttp import web

from ingest.admin.auth import require_token
from ingest.durable.writer_client import WriterClient
from ingest.errors import Refusal
from ingest.state import INTAKE, SETTINGS
from storage.clickhouse.client import QueryResult
from storage.export import export_install


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def export_route(writer: web.AppKey[WriterClient]) -> web.RouteDef:
    @require_token
    async def export(request: web.Request) -> web.Response:
        try:
            install_id = uuid.UUID(request.match_info["install_id"])
        except ValueError:
            raise Refusal("malformed_parameter", "the install id must be a UUID") from None
        loop, client = asyncio.get_running_loop(), request.app[writer]

        def query(sql: str) -> QueryResult:  # export_install runs on a thread; queries go back to the loop
            return asyncio.run_coroutine_threadsafe(client.query(sql), loop).result()

        def build() -> bytes:
            with tempfile.TemporaryDirectory(prefix="consentry-export-") as tmp:
                export_install(install_id, request.app[SETTINGS].clickhouse.database, query,
                               request.app[INTAKE].objects, Path(tmp))
                return _zip(Path(tmp))

        body = await asyncio.to_thread(build)
        headers = {"Content-Disposition": f'attachment; filename="{install_id}.zip"', "Cache-Control": "no-store"}
        return web.Response(body=body, content_type="application/zip", headers=headers)

    return web.get("/v1/admin/installs/{install_id}/export", export)
