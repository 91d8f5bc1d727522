"""PUT /v1/installs/{identity}/consent: what an app's consent screen calls to record the user's choice.

The identity is the native install id, or the Sentry `user.id` / PostHog `distinct_id` the app's SDK sends (the
same mapping the compatibility endpoints use, so one registry covers every intake path). A recorded "denied"
refuses that scope's data on every path, whatever a request claims; "granted" never widens what a request or an
SDK key allows. The call needs no credential, like a deletion request: knowing an install's identity lets a
caller only narrow what is collected about it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from ingest.durable.records import SpoolConsent
from ingest.errors import Refusal
from ingest.stages.decode import check_media_type, decode_json, read_body
from ingest.state import INTAKE

MAX_BODY = 4096
MAX_IDENTITY = 200
State = Literal["granted", "denied"]


class ConsentChoice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Unknown fields are refused here (unlike events): a misspelt scope must not be silently ignored.
    policy_version: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
    telemetry: State | None = None
    crash_report: State | None = None

    def choices(self) -> dict[str, str]:
        return {scope: state for scope, state in (("telemetry", self.telemetry),
                                                  ("crash_report", self.crash_report)) if state is not None}


class ConsentRecorded(msgspec.Struct, frozen=True):
    change_id: str
    choices: dict[str, str]
    policy_version: str
    recorded_at: str


def _identity(request: web.Request) -> str:
    identity = request.match_info["identity"]
    if not 0 < len(identity) <= MAX_IDENTITY or not identity.isprintable():
        raise Refusal("malformed_parameter", f"the install identity must be 1 to {MAX_IDENTITY} printable "
                                             "characters")
    return identity


async def put_consent(request: web.Request) -> web.Response:
    intake = request.app[INTAKE]
    intake.client_limiter.check(request.remote or "unknown")
    identity = _identity(request)
    check_media_type(request.content_type)
    body = decode_json(await read_body(request, MAX_BODY), ConsentChoice)
    choices = body.choices()
    if not choices:
        raise Refusal("invalid_field", 'name at least one of "telemetry", "crash_report"')
    registry = intake.registry
    install_id, now, change_id = registry.install_id(identity), datetime.now(UTC), uuid.uuid4()
    await intake.spool.append(SpoolConsent(change_id, install_id, choices, body.policy_version, now))  # durable
    registry.record_local(install_id, choices, now.timestamp())  # this worker at once; the others on publish
    answer = ConsentRecorded(str(change_id), choices, body.policy_version, now.isoformat())
    return web.Response(status=200, body=msgspec.json.encode(answer), content_type="application/json")


def setup_consent(app: web.Application) -> None:
    app.router.add_put("/v1/installs/{identity}/consent", put_consent)
