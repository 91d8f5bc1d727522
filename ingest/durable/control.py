"""Control socket: a Unix socket in the data dir through which CLI commands reach the running writer.

chDB allows one process per engine path, so while `serve` runs, `consentry query` and friends must use
the serving process's engine instead of opening their own. The socket file is owner-only (0600).
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from aiohttp import web

from ingest.durable.jobs import JOBS_SERVICE, JobsService, run_route, status_route
from ingest.durable.writer import SpoolWriter
from ingest.durable.writer_client import QueryRequest
from ingest.settings import ConfigError
from storage.clickhouse.executor import AsyncStore
from storage.errors import StorageError

MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, less on macOS
STORE = web.AppKey("control_store", AsyncStore)
WRITER = web.AppKey("control_writer", SpoolWriter)


def _failed(message: str) -> web.Response:
    return web.json_response({"error": {"code": "query_failed", "message": message}}, status=400)


async def _query(request: web.Request) -> web.Response:
    try:
        query = msgspec.json.decode(await request.read(), type=QueryRequest)
        if query.barrier != "none":
            await request.app[WRITER].flush(erase=query.barrier == "erase")
        result = await request.app[STORE].query(query.sql)
    except (msgspec.DecodeError, StorageError) as exc:
        return _failed(str(exc))
    return web.Response(body=msgspec.json.encode(result), content_type="application/json")


async def _migrate(request: web.Request) -> web.Response:
    return web.json_response({"applied": await request.app[STORE].migrate()})


async def _flush(request: web.Request) -> web.Response:
    try:
        return web.json_response({"inserted": await request.app[WRITER].flush()})
    except StorageError as exc:
        return _failed(str(exc))


def control_app(store: AsyncStore, writer: SpoolWriter, jobs: JobsService | None = None) -> web.Application:
    app = web.Application()
    app[STORE] = store
    app[WRITER] = writer
    if jobs is not None:  # `consentry jobs run|status` (routes in jobs.py)
        app[JOBS_SERVICE] = jobs
        app.router.add_post("/jobs/run", run_route)
        app.router.add_post("/jobs/status", status_route)
    app.router.add_post("/query", _query)
    app.router.add_post("/migrate", _migrate)
    app.router.add_post("/flush", _flush)
    return app


def check_socket_path(path: Path) -> None:
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise ConfigError(f"invalid setting data_dir: {path} is too long for a Unix socket; use a shorter data dir")


async def serve_control(app: web.Application, path: Path) -> web.AppRunner:
    """Serve `app` on the Unix socket `path`; the caller cleans the returned runner up."""
    check_socket_path(path)
    path.unlink(missing_ok=True)  # a stale socket from a killed process; a live one was refused earlier
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    old_umask = os.umask(0o177)
    try:
        await web.UnixSite(runner, str(path)).start()
    finally:
        os.umask(old_umask)
    return runner
