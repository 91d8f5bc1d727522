"""POST /v1/deletion-requests and GET /v1/deletion-requests/{id}: what an SDK sends when the user withdraws
consent ("keep everything private"), and how it learns the deletion is done."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from aiohttp import web

from ingest.durable.records import SpoolDeletion
from ingest.durable.writer_client import WriterClient
from ingest.errors import Refusal
from ingest.ratelimit import RateLimiter
from ingest.stages.decode import check_media_type, decode_json, read_body
from ingest.state import INTAKE, SETTINGS

STATUS_CLIENT = web.AppKey("deletion_status_client", WriterClient)
DELETION_LIMITER = web.AppKey("deletion_limiter", RateLimiter)
MAX_BODY = 4096


class DeletionRequestBody(msgspec.Struct, frozen=True):
    install_id: uuid.UUID
    reason: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = "consent_withdrawn"


class DeletionStatus(msgspec.Struct, frozen=True):
    request_id: str
    status: str  # pending | done
    requested_at: str | None = None
    completed_at: str | None = None


def _json(status: int, body: msgspec.Struct) -> web.Response:
    return web.Response(status=status, body=msgspec.json.encode(body), content_type="application/json")


async def post_deletion(request: web.Request) -> web.Response:
    app = request.app
    intake = app[INTAKE]
    client = request.remote or "unknown"
    intake.client_limiter.check(client)
    app[DELETION_LIMITER].check(client)  # unauthenticated and costly for the writer: a tighter bucket of its own
    check_media_type(request.content_type)
    body = decode_json(await read_body(request, MAX_BODY), DeletionRequestBody)
    now = datetime.now(UTC)
    request_id = uuid.uuid4()
    # Durable before the answer, and in the spool so the writer sees it in order with the data it must catch.
    await intake.spool.append(SpoolDeletion(request_id, body.install_id, body.reason, now))
    blocklist = intake.blocklist  # this worker refuses the install at once; the others on the writer's next publish
    blocklist.add(blocklist.hash(body.install_id), now.timestamp() + 86_400 * app[SETTINGS].privacy.deletion_grace_days)
    return _json(202, DeletionStatus(str(request_id), "pending", now.isoformat()))


async def get_deletion(request: web.Request) -> web.Response:
    try:
        request_id = uuid.UUID(request.match_info["request_id"])
    except ValueError:
        raise Refusal("malformed_parameter", "the deletion request id must be a UUID") from None
    database = request.app[SETTINGS].clickhouse.database
    sql = (f"SELECT status, toString(requested_at), toString(completed_at) FROM {database}.deletion_audit "
           f"WHERE request_id = '{request_id}'")
    # SDKs poll this: it reads the audit as it stands and never forces the erase (that would split the batch of
    # erases into one per poll). Only an id not registered yet waits for the writer to drain the spool.
    result = await request.app[STATUS_CLIENT].query(sql, barrier="none")
    if not result.rows:
        result = await request.app[STATUS_CLIENT].query(sql, barrier="drain")
    if not result.rows:
        raise Refusal("not_found", f"no deletion request {request_id}")
    status, requested_at, completed_at = result.rows[0]
    return _json(200, DeletionStatus(str(request_id), status, requested_at, completed_at))


async def status_client(app: web.Application) -> AsyncIterator[None]:
    client = WriterClient(app[SETTINGS].control_socket)
    app[STATUS_CLIENT] = client
    yield
    await client.close()


def setup_deletions(app: web.Application) -> None:
    limits = app[SETTINGS].rate_limit
    app[DELETION_LIMITER] = RateLimiter("client address", limits.deletion_per_client_rps,
                                        limits.deletion_per_client_burst)
    app.cleanup_ctx.append(status_client)
    app.router.add_post("/v1/deletion-requests", post_deletion)
    app.router.add_get("/v1/deletion-requests/{request_id}", get_deletion)
