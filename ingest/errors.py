"""Refusals: one exception type, one table mapping each code to its HTTP status."""

from __future__ import annotations

import msgspec

# code -> (HTTP status, when it is answered). docs/reference/refusals.md is generated from this table
# (`python -m ingest.docgen`), and schemas/openapi.yaml takes each route's statuses from it.
REFUSALS: dict[str, tuple[int, str]] = {
    "malformed_body": (400, "the body is not valid JSON / MessagePack, or not an object, or nests objects / arrays "
                       "more than 64 levels deep; a broken Sentry envelope (header not JSON, an item `length` past "
                       "the end); a broken multipart form"),
    "malformed_encoding": (400, "the body is not a valid stream for its `Content-Encoding`"),
    "malformed_parameter": (400, "a malformed path or query parameter: an admin or deletion-request id that is "
                            "not a UUID / 32 hex digits, a consent identity that is not 1 to 200 printable "
                            "characters, a bad `since`, `release` or `limit`, or a report parameter the report does "
                            "not take (such as a breakdown prop outside `reports.breakdown_props`)"),
    "unauthorized": (401, "admin API and page: the `Authorization: Bearer` token is missing or wrong (also answers "
                     "`WWW-Authenticate: Bearer`)"),
    "unknown_ingest_key": (401, "SDK endpoints: the Sentry DSN key / PostHog `api_key` is missing, unknown or "
                           "revoked (Sentry and PostHog v1: decided before the body is read; PostHog v0 and flags "
                           "carry the key inside the body, so it is decided once the capped body is parsed)"),
    "consent_required": (403, "the request does not grant consent for its kind of data: `consent.telemetry` "
                         "(events) or `consent.crash_report` (crashes; Crashpad: the annotation "
                         "`consent_crash_report`) is missing or not exactly `granted`; checked before any other "
                         "field"),
    "consent_denied": (403, "the consent registry records that this install denied the scope (`PUT "
                       "/v1/installs/{id}/consent`), whatever the request claims"),
    "consent_withdrawn": (403, "the install asked for deletion of its data: its events and crashes are refused for "
                          "`privacy.deletion_grace_days`"),
    "not_found": (404, "admin API: no crash or crash group with that id, or the crash has no minidump (any "
                  "longer); `GET /v1/deletion-requests/{id}`: no such request"),
    "body_too_large": (413, "the body is over `limits.max_body_bytes` (crash uploads and Sentry envelopes: "
                       "`crash_limits.max_upload_bytes`)"),
    "decompressed_too_large": (413, "the body grew over `limits.max_decompressed_bytes` (crash uploads: "
                               "`crash_limits.max_upload_bytes`) while decompressing; gzip bombs stop here"),
    "too_many_events": (413, "the batch has more events than `limits.max_events_per_batch`"),
    "part_too_large": (413, "a crash upload part (report, minidump, attachment) or a Sentry event item is over its "
                       "`crash_limits.*` size"),
    "too_many_attachments": (413, "the crash upload has more attachments than `crash_limits.max_attachments`"),
    "too_many_frames": (413, "a crash report has more threads or frames per thread than `crash_limits.*` allow"),
    "unsupported_media_type": (415, "`Content-Type` is not one the endpoint accepts: events take "
                               "`application/json` / `application/msgpack`, crashes `multipart/form-data`"),
    "unsupported_encoding": (415, "`Content-Encoding` is not `identity`, `gzip`, `zstd`, `deflate` (zlib or raw) or "
                             "`br`; PostHog `compression=lz64`"),
    "invalid_field": (422, "a field is missing, mistyped, or breaks its pattern or limit (a prop number outside the "
                      "64-bit integer range, NaN or infinity); the message names it (`$.events[1].name`)"),
    "timestamp_out_of_range": (422, "an event timestamp is outside the clock window (older than "
                               "`limits.max_event_age_days`, or further ahead than `limits.max_clock_skew_seconds`)"),
    "request_timeout": (408, "the body did not arrive within `http.read_timeout_s` of the request's headers"),
    "rate_limited": (429, "the install id or client address is over its token bucket; `Retry-After` says when to "
                     "retry"),
    "spool_full": (503, "the spool is at `spool.max_bytes`, the disk is nearly full, or the collector is stopping; "
                   "`Retry-After: 5`"),
    "uploads_busy": (503, "this worker is already reading `http.max_concurrent_uploads` request bodies; "
                     "`Retry-After: 5`"),
    "storage_unavailable": (503, "storage refused a synchronous operation; retry after `Retry-After` (not a client "
                            "mistake)"),
}


class Refusal(Exception):
    """A request the collector will not accept; `code` is a key of REFUSALS."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        if code not in REFUSALS:
            raise ValueError(f"undeclared refusal code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after if retry_after is not None else (5 if self.status == 503 else None)

    @property
    def status(self) -> int:
        return REFUSALS[self.code][0]


class ErrorDetail(msgspec.Struct, frozen=True):
    code: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True):
    error: ErrorDetail


def error_body(refusal: Refusal) -> bytes:
    return msgspec.json.encode(ErrorBody(ErrorDetail(refusal.code, refusal.message)))
