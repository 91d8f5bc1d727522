"""Wire types every front door decodes into: the native event batch and its parts, and a decoded body."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

# Event names are dotted snake_case ("editor.opened"): low-cardinality identifiers, never free text.
EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,7}$"
# Property keys: snake_case, dots allowed for namespacing ("editor.mode").
PROP_KEY_PATTERN = r"^[a-z][a-z0-9_.]{0,63}$"
# Context values identify a build or platform ("1.4.2-beta.1+5", "macos", "15.1"), not a person.
CONTEXT_VALUE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._+()/-]{0,63}$"

# The patterns are checked by ingest/stages/validate.py with a memo (names and keys repeat in nearly every
# batch; a regex per value per event was the costliest part of decoding). The JSON Schema still carries them.
EventName = Annotated[str, msgspec.Meta(max_length=128, extra_json_schema={"pattern": EVENT_NAME_PATTERN})]
PropKey = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": PROP_KEY_PATTERN})]
ContextValue = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": CONTEXT_VALUE_PATTERN})]
PropValue = str | int | float | bool
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]


class Consent(msgspec.Struct, frozen=True):
    """What the user chose on the app's consent screen, as the client reports it."""

    telemetry: str | None = None
    crash_report: str | None = None
    policy_version: ShortText | None = None


class Context(msgspec.Struct, frozen=True):
    """The app build and platform that sent the batch."""

    app: ContextValue
    app_version: ContextValue
    os: ContextValue
    os_version: ContextValue | None = None
    device_type: ContextValue | None = None


class Event(msgspec.Struct, frozen=True):
    """One usage event; props are scalars under documented keys."""

    event_id: uuid.UUID
    name: EventName
    ts: AwareDatetime
    session_id: uuid.UUID | None = None
    props: dict[PropKey, PropValue] = {}


class EventBatch(msgspec.Struct, frozen=True):
    """The body of POST /v1/events. Unknown fields are ignored for forward compatibility (never stored)."""

    install_id: uuid.UUID
    consent: Consent
    context: Context
    events: Annotated[list[Event], msgspec.Meta(min_length=1)]


class Decoded(msgspec.Struct, frozen=True):
    """A parsed body: typed when it decoded straight into EventBatch (the usual case), else plain objects."""

    batch: EventBatch | None = None
    raw: dict[str, Any] | None = None
