"""The OpenAPI 3.1 description of every public route, built from the msgspec types the handlers decode and encode.

`python -m ingest.openapi > schemas/openapi.yaml` writes the shipped file; tests check the file equals what this
module builds and that every route the app registers is described here (and nothing else), so neither can drift.
Request and response bodies that are msgspec Structs take their JSON Schema from the Struct itself.
"""

from __future__ import annotations

import sys
from typing import Any

import msgspec

from ingest.errors import REFUSALS, ErrorBody
from ingest.frontdoors.consent import ConsentChoice, ConsentRecorded
from ingest.frontdoors.crashes import CrashAccepted
from ingest.frontdoors.deletions import DeletionRequestBody, DeletionStatus
from ingest.frontdoors.native_events import Accepted
from ingest.model import EventBatch
from ingest.reports.registry import REPORTS

REF = "#/components/schemas/{name}"
STRUCTS: tuple[type[msgspec.Struct], ...] = (EventBatch, Accepted, CrashAccepted, DeletionRequestBody, DeletionStatus,
                                             ConsentChoice, ConsentRecorded, ErrorBody)
JSON = "application/json"
ANY_OBJECT: dict[str, Any] = {"type": "object"}
BINARY: dict[str, Any] = {"type": "string", "format": "binary"}
TEXT: dict[str, Any] = {"type": "string"}


def _ref(struct: type[msgspec.Struct]) -> dict[str, str]:
    return {"$ref": REF.format(name=struct.__name__)}


def _body(schema: dict[str, Any], *media: str) -> dict[str, Any]:
    return {"content": {m: {"schema": schema} for m in (media or (JSON,))}}


def _ok(status: int, description: str, schema: dict[str, Any] | None = None, media: str = JSON) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer |= _body(schema, media)
    return {str(status): answer}


def _refusals(*codes: str) -> dict[str, Any]:
    """One response per status the route's refusal codes use, each the common error body."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(REFUSALS[code][0], []).append(code)
    return {str(status): {"description": "refused: " + ", ".join(f"`{c}`" for c in sorted(found)),
                          "content": {JSON: {"schema": _ref(ErrorBody)}}}
            for status, found in sorted(by_status.items())}


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or TEXT}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or TEXT}


# Every intake route can be refused for these reasons before its own checks.
INTAKE = ("body_too_large", "decompressed_too_large", "malformed_encoding", "unsupported_encoding", "rate_limited",
          "spool_full")
EVENTS = INTAKE + ("malformed_body", "unsupported_media_type", "consent_required", "consent_denied",
                   "consent_withdrawn", "invalid_field", "timestamp_out_of_range", "too_many_events")
CRASHES = INTAKE + ("malformed_body", "unsupported_media_type", "consent_required", "consent_denied",
                    "consent_withdrawn", "invalid_field", "timestamp_out_of_range", "part_too_large",
                    "too_many_attachments", "too_many_frames")
SDK = INTAKE + ("unknown_ingest_key", "malformed_body", "unsupported_media_type", "part_too_large", "invalid_field",
                "too_many_events", "too_many_attachments", "too_many_frames")
ADMIN = ("unauthorized", "malformed_parameter", "not_found", "storage_unavailable")
UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
BEARER: list[dict[str, list[str]]] = [{"adminToken": []}]


def _native() -> dict[str, Any]:
    crash_form = {"type": "object", "properties": {
        "report": {**BINARY, "description": "the crash report, JSON (see docs/api.md)"},
        "minidump": BINARY, "attachment": BINARY,
        "upload_file_minidump": {**BINARY, "description": "Crashpad / Breakpad upload (Electron crashReporter)"}}}
    identity = _path("identity", "native install id, Sentry user.id or PostHog distinct_id (1 to 200 characters)",
                     {"type": "string", "minLength": 1, "maxLength": 200})
    return {
        "/v1/events": {"post": {
            "summary": "Ingest a batch of consented usage events", "operationId": "postEvents",
            "requestBody": {"required": True, **_body(_ref(EventBatch), JSON, "application/msgpack")},
            "responses": _ok(202, "accepted and durable", _ref(Accepted)) | _refusals(*EVENTS)}},
        "/v1/crashes": {"post": {
            "summary": "Ingest one crash report (native or Crashpad upload)", "operationId": "postCrash",
            "requestBody": {"required": True, **_body(crash_form, "multipart/form-data")},
            "responses": _ok(200, "Crashpad upload accepted: the crash id as text", TEXT, "text/plain")
            | _ok(202, "accepted and durable", _ref(CrashAccepted)) | _refusals(*CRASHES)}},
        "/v1/deletion-requests": {"post": {
            "summary": "Ask for deletion of everything stored for an install", "operationId": "requestDeletion",
            "requestBody": {"required": True, **_body(_ref(DeletionRequestBody))},
            "responses": _ok(202, "registered", _ref(DeletionStatus))
            | _refusals("malformed_body", "unsupported_media_type", "invalid_field", "body_too_large",
                        "rate_limited", "spool_full")}},
        "/v1/deletion-requests/{request_id}": {"get": {
            "summary": "Status of a deletion request", "operationId": "getDeletion",
            "parameters": [_path("request_id", "the id the request was answered with", UUID)],
            "responses": _ok(200, "the request's status", _ref(DeletionStatus))
            | _refusals("malformed_parameter", "not_found", "storage_unavailable")}},
        "/v1/installs/{identity}/consent": {"put": {
            "summary": "Record an install's consent choice (the consent registry)", "operationId": "putConsent",
            "parameters": [identity],
            "requestBody": {"required": True, **_body(_ref(ConsentChoice))},
            "responses": _ok(200, "recorded and durable", _ref(ConsentRecorded))
            | _refusals("malformed_body", "malformed_parameter", "unsupported_media_type", "invalid_field",
                        "body_too_large", "rate_limited", "spool_full")}},
    }


def _operations() -> dict[str, Any]:
    """Health, admin and SDK routes: their bodies are documented in docs/ and checked by their tests."""
    health = {"type": "object", "properties": {"status": TEXT, "reason": TEXT}, "required": ["status"]}
    admin_json = _ok(200, "JSON", ANY_OBJECT) | _refusals(*ADMIN)
    sentry_reply = _ok(200, "accepted, or dropped on consent grounds (see X-Sentry-Rate-Limits)",
                       {"type": "object", "properties": {"id": TEXT}})
    posthog_v0 = _ok(200, "exactly 200: accepted, or dropped on consent grounds",
                     {"type": "object", "properties": {"status": {"type": "integer"}}})
    project = _path("project", "the Sentry project id from the DSN", {"type": "string", "pattern": "^[0-9]+$"})
    no_project = _ok(404, "the project id is not digits: no such route", TEXT, "text/plain")
    sentry_key = _query("sentry_key", "the DSN public key, when not in X-Sentry-Auth")
    v0_body = {"required": True, **_body(ANY_OBJECT)}
    paths: dict[str, Any] = {
        "/healthz": {"get": {"summary": "Liveness", "operationId": "healthz",
                             "responses": _ok(200, "the process is up", health)}},
        "/readyz": {"get": {"summary": "Readiness: intake would accept", "operationId": "readyz",
                            "responses": _ok(200, "ready", health) | _ok(503, "the spool is full", health)}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics",
                             "responses": _ok(200, "Prometheus text format", TEXT, "text/plain")}},
        "/admin": {"get": {"summary": "Redirect to /admin/", "operationId": "adminPageRedirect",
                           "responses": {"308": {"description": "to /admin/"}}
                           | _ok(200, "the page, when the client follows the redirect", TEXT, "text/html")}},
        "/admin/": {"get": {"summary": "The crash-triage and reports page (static; data needs the token)",
                            "operationId": "adminPage", "responses": _ok(200, "the page", TEXT, "text/html")}},
        "/admin/{name}": {"get": {
            "summary": "The page's static files (a fixed list)", "operationId": "adminPageFile",
            "parameters": [_path("name", "a file of the page, e.g. app.js")],
            "responses": {"200": {"description": "the file", "content": {
                m: {"schema": TEXT} for m in ("text/html", "text/css", "text/javascript", "image/svg+xml")}}}
            | _ok(404, "not one of the page's files", TEXT, "text/plain")}},
        "/v1/admin/crash-groups": {"get": {
            "summary": "Crash groups, most frequent first", "operationId": "listCrashGroups", "security": BEARER,
            "parameters": [_query("since", "e.g. 7d or an ISO date"), _query("release", "app_version"),
                           _query("limit", "at most this many groups", {"type": "string", "pattern": r"^\d+$"})],
            "responses": admin_json}},
        "/v1/admin/crash-groups/{group_id}": {"get": {
            "summary": "One crash group with its latest crashes", "operationId": "getCrashGroup", "security": BEARER,
            "parameters": [_path("group_id", "32 hex digits")], "responses": admin_json}},
        "/v1/admin/crashes/{crash_id}": {"get": {
            "summary": "One crash", "operationId": "getCrash", "security": BEARER,
            "parameters": [_path("crash_id", "the crash id", UUID)], "responses": admin_json}},
        "/v1/admin/crashes/{crash_id}/minidump": {"get": {
            "summary": "A crash's minidump", "operationId": "getMinidump", "security": BEARER,
            "parameters": [_path("crash_id", "the crash id", UUID)],
            "responses": _ok(200, "the dump", BINARY, "application/octet-stream") | _refusals(*ADMIN)}},
        "/v1/admin/installs/{install_id}/export": {"get": {
            "summary": "Data-subject export of one install (zip)", "operationId": "exportInstall",
            "security": BEARER, "parameters": [_path("install_id", "the install id", UUID)],
            "responses": _ok(200, "a zip of every stored record and object", BINARY, "application/zip")
            | _refusals(*ADMIN)}},
        "/v1/admin/reports/{name}": {"get": {
            "summary": "A k-anonymous report", "operationId": "getReport", "security": BEARER,
            "parameters": [_path("name", "the report", {"type": "string", "enum": sorted(REPORTS)}),
                           _query("format", "json (default), csv or table",
                                  {"type": "string", "enum": ["json", "csv", "table"]})],
            "responses": {"200": {"description": "the report, in the format asked for", "content": {
                JSON: {"schema": ANY_OBJECT}, "text/csv": {"schema": TEXT}, "text/plain": {"schema": TEXT}}}}
            | _refusals(*ADMIN)}},
        "/api/{project}/envelope/": {"post": {
            "summary": "Sentry SDK envelopes", "operationId": "sentryEnvelope", "parameters": [project, sentry_key],
            "requestBody": {"required": True, **_body(BINARY, "application/x-sentry-envelope")},
            "responses": sentry_reply | no_project | _refusals(*SDK)}},
        "/api/{project}/minidump/": {"post": {
            "summary": "Sentry minidump upload (Crashpad, Electron)", "operationId": "sentryMinidump",
            "parameters": [project, sentry_key],
            "requestBody": {"required": True, **_body({"type": "object", "properties": {
                "upload_file_minidump": BINARY, "sentry": TEXT}}, "multipart/form-data")},
            "responses": _ok(200, "the event id", TEXT, "text/plain") | no_project | _refusals(*SDK)}},
        "/api/{project}/store/": {"post": {
            "summary": "Sentry legacy store (raven-js, older SDKs): one event JSON", "operationId": "sentryStore",
            "parameters": [project, sentry_key], "requestBody": {"required": True, **_body(ANY_OBJECT, JSON)},
            "responses": sentry_reply | no_project | _refusals(*SDK)}},
        "/api/{project}/security/": {"post": {
            "summary": "Browser security reports (CSP): never read or stored, answered 200 and counted",
            "operationId": "sentrySecurity", "parameters": [project, sentry_key],
            "requestBody": {"required": False, **_body(ANY_OBJECT, JSON)},
            "responses": _ok(200, "dropped", ANY_OBJECT) | no_project
            | _refusals("unknown_ingest_key", "rate_limited")}},
        "/s/": {"post": {
            "summary": "PostHog session recordings: never read or stored, answered 200 and counted",
            "operationId": "posthogRecording", "requestBody": {"required": False, **_body(BINARY, "text/plain")},
            "responses": posthog_v0 | _refusals("rate_limited")}},
        "/array/{key}/config": {"get": {
            "summary": "PostHog remote config: session recording and other content capture off",
            "operationId": "posthogConfig", "parameters": [_path("key", "the project (ingest) key", TEXT)],
            "responses": _ok(200, "the config", ANY_OBJECT) | _refusals("unknown_ingest_key", "rate_limited")}},
        "/i/v1/analytics/events": {"post": {
            "summary": "PostHog v1 capture (Bearer project key)", "operationId": "posthogV1",
            "requestBody": v0_body,
            "responses": _ok(200, "per-event results", ANY_OBJECT) | _refusals(*SDK)}},
    }
    for path in ("/batch/", "/capture/", "/e/", "/i/v0/e/", "/track/", "/engage/"):
        paths[path] = {"post": {"summary": "PostHog v0 capture (api_key in the body)",
                                "operationId": "posthog" + path.strip("/").replace("/", "_").title().replace("_", ""),
                                "requestBody": v0_body, "responses": posthog_v0 | _refusals(*SDK)}}
    for path in ("/flags/", "/decide/"):
        paths[path] = {"post": {"summary": "PostHog feature flags: always none", "operationId": "posthogFlags"
                                + path.strip("/").title(), "requestBody": v0_body,
                                "responses": _ok(200, "an empty flag set", ANY_OBJECT) | _refusals(*SDK)}}
    return paths


def build() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(STRUCTS, ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Consentry collector", "version": "1",
                 "description": "Privacy-first telemetry and crash-report intake. Every refusal is "
                                "`{\"error\": {\"code\", \"message\"}}`; see docs/reference/refusals.md."},
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "paths": _native() | _operations(),
        "components": {"schemas": components,
                       "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer",
                                                          "description": "admin.token"}}},
    }


def main() -> None:
    import yaml  # a development dependency: only writing the file needs it

    sys.stdout.write("# Generated by `python -m ingest.openapi`; do not edit (tests/unit/test_openapi.py).\n")
    sys.stdout.write(yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=120))


if __name__ == "__main__":
    main()
