"""The admin routes: crash groups, one group, one crash, its minidump, the /admin/ page; only when a token is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from ingest.admin.auth import require_token
from ingest.admin.export import export_route
from ingest.admin.groups import group_list, group_page
from ingest.admin.page import setup_page
from ingest.admin.reports import report_route
from ingest.durable.writer_client import WriterClient
from ingest.errors import Refusal
from ingest.reports import triage
from ingest.state import INTAKE, SETTINGS
from storage.errors import ObjectNotFound

WRITER_CLIENT = web.AppKey("admin_writer_client", WriterClient)
LATEST_CRASHES = 20  # per group detail
T = TypeVar("T")
# Triage data is sensitive: never cached by a proxy or the browser, never sniffed into something renderable.
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _param(parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except ValueError as exc:
        raise Refusal("malformed_parameter", str(exc)) from None


def _json(data: Any) -> web.Response:
    return web.Response(body=msgspec.json.encode(data), content_type="application/json", headers=_HEADERS)


@require_token
async def list_groups(request: web.Request) -> web.Response:
    query = request.query
    since = _param(triage.parse_since, query.get("since", triage.DEFAULT_SINCE))
    release = _param(triage.parse_release, query["release"]) if "release" in query else None
    limit = _param(triage.parse_limit, query.get("limit", str(triage.DEFAULT_LIMIT)))
    settings = request.app[SETTINGS]
    return _json(await group_list(request.app[WRITER_CLIENT], settings.clickhouse.database,
                                  settings.reports.min_installs, since=since, release=release, limit=limit))


@require_token
async def get_group(request: web.Request) -> web.Response:
    group_id = _param(triage.parse_group_id, request.match_info["group_id"])
    settings = request.app[SETTINGS]
    detail = await group_page(request.app[WRITER_CLIENT], settings.clickhouse.database,
                              settings.reports.min_installs, group_id, LATEST_CRASHES)
    if detail is None:
        raise Refusal("not_found", f"no crash group {group_id}")
    return _json(detail)


@require_token
async def get_crash(request: web.Request) -> web.Response:
    crash_id = _param(triage.parse_crash_id, request.match_info["crash_id"])
    sql = triage.crash_sql(request.app[SETTINGS].clickhouse.database, crash_id)
    crashes = triage.records(await request.app[WRITER_CLIENT].query(sql))
    if not crashes:
        raise Refusal("not_found", f"no crash {crash_id}")
    return _json({"crash": crashes[0]})


@require_token
async def get_minidump(request: web.Request) -> web.Response:
    """The dump through the collector, also for S3: the bucket's endpoint is often not reachable by admins."""
    crash_id = _param(triage.parse_crash_id, request.match_info["crash_id"])
    sql = triage.minidump_sql(request.app[SETTINGS].clickhouse.database, crash_id)
    rows = (await request.app[WRITER_CLIENT].query(sql)).rows
    if not rows or not rows[0][0]:
        raise Refusal("not_found", f"no crash {crash_id}" if not rows else f"crash {crash_id} has no minidump")
    try:
        data = await asyncio.to_thread(request.app[INTAKE].objects.get, rows[0][0])
    except ObjectNotFound:  # the row outlived its object (deleted by retention or by hand)
        raise Refusal("not_found", f"the minidump of crash {crash_id} is no longer stored") from None
    # The file name is built from the validated id only, never from anything uploaded.
    disposition = {"Content-Disposition": f'attachment; filename="{crash_id}.dmp"'}
    return web.Response(body=data, content_type="application/octet-stream", headers=_HEADERS | disposition)


async def _writer_client(app: web.Application) -> AsyncIterator[None]:
    client = WriterClient(app[SETTINGS].control_socket)
    app[WRITER_CLIENT] = client
    yield
    await client.close()


def setup_admin(app: web.Application) -> None:
    """Add /v1/admin/*; without a token they do not exist at all (404), rather than exist unprotected."""
    if not app[SETTINGS].admin.token:
        return
    app.cleanup_ctx.append(_writer_client)
    app.router.add_get("/v1/admin/crash-groups", list_groups)
    app.router.add_get("/v1/admin/crash-groups/{group_id}", get_group)
    app.router.add_get("/v1/admin/crashes/{crash_id}", get_crash)
    app.router.add_get("/v1/admin/crashes/{crash_id}/minidump", get_minidump)
    app.router.add_routes([export_route(WRITER_CLIENT)])
    app.router.add_routes([report_route(WRITER_CLIENT)])
    setup_page(app)
