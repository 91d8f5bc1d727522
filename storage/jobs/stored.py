"""What the re-scrub job reads of a stored row, and what it is handed to re-redact it (jobs/rescrub.py).

Apart from the job so that JobContext (jobs/base.py) can name the Reredactor without importing the job."""

from __future__ import annotations

from typing import Protocol

import msgspec

from storage.rows import FrameRow


class StoredEvent(msgspec.Struct, array_like=True, frozen=True):
    """The redacted columns of an events row, as stored (props_num as float, as the pipeline stores them)."""

    event_id: str
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


class StoredCrash(msgspec.Struct, array_like=True, frozen=True):
    """The redacted columns of a crashes row, as stored, and its attachments' keys and sizes."""

    crash_id: str
    app: str
    app_version: str
    os: str
    os_version: str
    device_type: str
    policy_version: str
    exception_type: str
    exception_message: str
    frames: list[FrameRow]
    breadcrumbs: list[str]
    extra: dict[str, str]
    dump_modules: list[str]
    attachment_keys: list[str]
    attachment_sizes: list[int]
    redactions: dict[str, int]


class Reredactor(Protocol):
    """The current rules applied to stored values (ingest/stages/rescrub.py); storage never imports them."""

    @property
    def version(self) -> int:
        """redact/version.py REDACTION_VERSION: rows of a lower version are re-scrubbed."""
        ...

    def event(self, row: StoredEvent) -> StoredEvent | None:
        """The row re-redacted with its counts merged, or None when no value changes."""
        ...

    def crash(self, row: StoredCrash) -> StoredCrash | None:
        """As event(), for the crash's text columns (attachments are done by the job, through attachment())."""
        ...

    def attachment(self, text: str) -> tuple[str, dict[str, int]]:
        """A stored text attachment re-redacted, and what the current rules found in it."""
        ...
