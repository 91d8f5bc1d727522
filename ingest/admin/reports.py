"""GET /v1/admin/reports/{name}: the `consentry report` reports over HTTP, same parameters, same suppression."""

from __future__ import annotations

from aiohttp import web

from ingest.admin.auth import require_token
from ingest.durable.writer_client import WriterClient
from ingest.errors import Refusal
from ingest.reports.base import assemble
from ingest.reports.params import ReportArgumentError
from ingest.reports.registry import prepare
from ingest.reports.render import RENDER
from ingest.state import SETTINGS

_TYPES = {"json": "application/json", "csv": "text/csv", "table": "text/plain"}
# Reports are aggregates, but still not for shared caches or content sniffing.
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def report_route(writer_key: web.AppKey[WriterClient]) -> web.RouteDef:
    @require_token
    async def get_report(request: web.Request) -> web.Response:
        settings = request.app[SETTINGS]
        raw = {"format": "json"} | dict(request.query)  # JSON unless asked otherwise: this is an API
        try:
            spec, params = prepare(request.match_info["name"], raw, settings.reports.breakdown_props)
        except ReportArgumentError as exc:
            raise Refusal("malformed_parameter", str(exc)) from None
        result = await request.app[writer_key].query(spec.build(params, settings.clickhouse.database))
        report = assemble(spec, params, result, settings.reports.min_installs)
        return web.Response(text=RENDER[params.format](report), content_type=_TYPES[params.format],
                            headers=_HEADERS)

    return web.get("/v1/admin/reports/{name}", get_report)
