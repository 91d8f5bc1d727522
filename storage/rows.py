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


EVENT_COLUMNS: tuple[str, ...] = tuple(field.name for field in msgspec.structs.fields(EventRow))
