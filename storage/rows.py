"""Row types that storage accepts; front ends build them, storage never sees wire formats."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

# ClickHouse has no NULL-free "absent UUID"; the nil UUID marks "none" (and, later, "de-identified").
NIL_UUID = uuid.UUID(int=0)


class EventRow(msgspec.Struct, frozen=True, array_like=True):
    """One row of the `events` table, already consented, validated and redacted."""

    event_id: uuid.UUID
    install_id: uuid.UUID
    session_id: uuid.UUID
    name: str
    ts: datetime
    received_at: datetime
    app: str
    app_version: str
    os: str
    os_version: str
    device_type: str
    policy_version: str
    props_str: dict[str, str]
    props_num: dict[str, float]
    props_bool: dict[str, bool]
    redactions: dict[str, int]
    # redact/version.py REDACTION_VERSION of the rules that ran; 0 (before versioning) if a builder leaves it out,
    # which is the safe mistake: the re-scrub job rewrites such rows with the current rules.
    redaction_version: int = 0


EVENT_COLUMNS: tuple[str, ...] = tuple(field.name for field in msgspec.structs.fields(EventRow))
EVENT_LINES_FORMAT = "JSONCompactEachRow"  # one JSON array per row, in EVENT_COLUMNS order
# The lines' column types as ClickHouse parses them: those of `events`, but String where `events` stores
# LowCardinality(String). Parsing straight into LowCardinality columns looks every value up in the column's
# dictionary one row at a time; converting whole parsed blocks costs a third less (bench/insert_bench.py).
# A test checks this against the table.
EVENT_LINES_STRUCTURE = (
    "event_id UUID, install_id UUID, session_id UUID, name String, ts DateTime64(3, 'UTC'), "
    "received_at DateTime64(3, 'UTC'), app String, app_version String, os String, os_version String, "
    "device_type String, policy_version String, props_str Map(String, String), props_num Map(String, Float64), "
    "props_bool Map(String, Bool), redactions Map(String, UInt32), redaction_version UInt16"
)
_lines_encoder = msgspec.json.Encoder()


def encode_event_lines(rows: list[EventRow]) -> bytes:
    """Rows in the format the writer hands to ClickHouse as is: the per-row work happens in the workers, and
    ClickHouse parses it natively (twice the insert rate of building Native blocks in Python)."""
    return _lines_encoder.encode_lines(rows)


class FrameRow(msgspec.Struct, frozen=True, array_like=True):
    module: str
    function: str
    file: str
    line: int
    in_app: bool


class CrashRow(msgspec.Struct, frozen=True, array_like=True):
    """One row of the `crashes` table: consented, validated, redacted; dump and attachments stored first."""

    crash_id: uuid.UUID
    install_id: uuid.UUID
    ts: datetime
    received_at: datetime
    source: str
    app: str
    app_version: str
    os: str
    os_version: str
    device_type: str
    policy_version: str
    fingerprint: str
    exception_type: str
    exception_message: str
    frames: list[FrameRow]
    breadcrumbs: list[str]
    extra: dict[str, str]
    minidump_key: str
    minidump_size: int
    minidump_sha256: str
    minidump_parsed: bool
    minidump_error: str
    dump_exception_code: int | None
    dump_exception_name: str
    dump_os: str
    dump_cpu_arch: str
    dump_modules: list[str]
    attachment_keys: list[str]
    attachment_sizes: list[int]
    redactions: dict[str, int]
    redaction_version: int = 0  # as EventRow's


CRASH_COLUMNS: tuple[str, ...] = tuple(field.name for field in msgspec.structs.fields(CrashRow))
