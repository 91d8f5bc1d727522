"""Refusals: one exception type, one table mapping each code to its HTTP status."""

from __future__ import annotations

import msgspec

# code -> (HTTP status, what it means). The README's table of refusal codes is generated from this one.
REFUSALS: dict[str, tuple[int, str]] = {
    "malformed_body": (400, "the body is not valid JSON / MessagePack, or not an object"),
    "malformed_encoding": (400, "the body is not a valid stream for its Content-Encoding"),
    "malformed_parameter": (400, "an admin path or query parameter is malformed (an id, since, release, limit)"),
    "unauthorized": (401, "the admin bearer token is missing or wrong"),
    "unknown_ingest_key": (401, "the SDK key (Sentry DSN key, PostHog api_key) is missing, unknown or revoked"),
    "consent_required": (403, "consent for this kind of data was not granted"),
    "consent_denied": (403, "the consent registry records that this install denied this kind of data"),
    "consent_withdrawn": (403, "the install asked for deletion of its data; its data is refused for a grace period"),
    "not_found": (404, "no crash, crash group or minidump with that id"),
    "body_too_large": (413, "the body exceeds limits.max_body_bytes"),
    "decompressed_too_large": (413, "the decompressed body exceeds limits.max_decompressed_bytes"),
    "too_many_events": (413, "the batch has more events than limits.max_events_per_batch"),
    "part_too_large": (413, "a crash upload part (report, minidump, attachment) exceeds its crash_limits.* size"),
    "too_many_attachments": (413, "the crash upload has more attachments than crash_limits.max_attachments"),
    "too_many_frames": (413, "a crash report has more threads or frames than crash_limits.* allow"),
    "unsupported_media_type": (415, "Content-Type is not one the endpoint accepts"),
    "unsupported_encoding": (415, "Content-Encoding is not identity, gzip, zstd, deflate or br"),
    "invalid_field": (422, "a field is missing, has the wrong type, or breaks its pattern or limit"),
    "timestamp_out_of_range": (422, "an event timestamp is older than allowed or in the future"),
    "rate_limited": (429, "too many requests for this install id or client address"),
    "spool_full": (503, "the spool is at its cap or the disk is nearly full; retry later"),
    "storage_unavailable": (503, "storage did not accept the rows; retry later"),
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
