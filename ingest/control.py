"""Control socket: a Unix socket in the data dir through which CLI commands reach a running collector.

chDB allows one process per engine path, so while `serve` runs, `consentry query` and friends must use
the serving process's engine instead of opening their own. The socket file is owner-only (0600).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
from aiohttp import web

from ingest.settings import ConfigError
from ingest.state import STORE
from storage.errors import QueryError
from storage.executor import AsyncStore

MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, less on macOS


class QueryRequest(msgspec.Struct, frozen=True):
    sql: str


async def _query(request: web.Request) -> web.Response:
    try:
        query = msgspec.json.decode(await request.read(), type=QueryRequest)
        result = await request.app[STORE].query(query.sql)
    except (msgspec.DecodeError, QueryError) as exc:
        return web.json_response({"error": {"code": "query_failed", "message": str(exc)}}, status=400)
    return web.Response(body=msgspec.json.encode(result), content_type="application/json")


async def _migrate(request: web.Request) -> web.Response:
    return web.json_response({"applied": await request.app[STORE].migrate()})


def control_app(store: AsyncStore) -> web.Application:
    app = web.Application()
    app[STORE] = store
    app.router.add_post("/query", _query)
    app.router.add_post("/migrate", _migrate)
    return app


def check_socket_path(path: Path) -> None:
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise ConfigError(f"invalid setting data_dir: {path} is too long for a Unix socket; use a shorter data dir")


async def serve_control(store: AsyncStore, path: Path) -> AsyncIterator[None]:
    """Serve the control app on `path` for the lifetime of the collector."""
    check_socket_path(path)
    path.unlink(missing_ok=True)  # a stale socket from a killed process; a live one was refused earlier
    runner = web.AppRunner(control_app(store), access_log=None)
    await runner.setup()
    old_umask = os.umask(0o177)
    try:
        await web.UnixSite(runner, str(path)).start()
    finally:
        os.umask(old_umask)
    try:
        yield
    finally:
        await runner.cleanup()
        path.unlink(missing_ok=True)
