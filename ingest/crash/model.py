"""Wire types of a crash report (native `report` part; Crashpad uploads are mapped onto the same types)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from ingest.model import AwareDatetime, Consent, Context, EventName, PropKey, PropValue

if TYPE_CHECKING:
    from storage.objects import StagedObject

# The form part Crashpad, Breakpad and sentry-native uploads carry the minidump in.
CRASHPAD_DUMP = "upload_file_minidump"
Code = Annotated[str, msgspec.Meta(max_length=512)]  # identifiers: module, function, exception type
FilePath = Annotated[str, msgspec.Meta(max_length=2048)]
# A minidump in memory, or staged in the object store as it arrived (POST /v1/crashes never holds it whole).
Minidump: TypeAlias = "bytes | StagedObject"


class Frame(msgspec.Struct, frozen=True):
    function: Code | None = None
    module: Code | None = None
    file: FilePath | None = None
    line: Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)] | None = None
    in_app: bool = False


class Thread(msgspec.Struct, frozen=True):
    crashed: bool = False
    frames: list[Frame] = []  # innermost (crashing) frame first


class ExceptionInfo(msgspec.Struct, frozen=True):
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    message: str = ""


class CrashReport(msgspec.Struct, frozen=True):
    """The `report` part of POST /v1/crashes. Unknown fields are ignored, never stored."""

    crash_id: uuid.UUID
    install_id: uuid.UUID
    consent: Consent
    context: Context
    exception: ExceptionInfo
    ts: AwareDatetime | None = None  # when the crash happened; defaults to the time of receipt
    threads: list[Thread] = []
    breadcrumbs: list[EventName] = []  # the last user actions, as event names
    extra: dict[PropKey, PropValue] = {}


class Attachment(msgspec.Struct, frozen=True):
    """A small text log sent with the report; its upload file name is never kept."""

    text: str


class CrashUpload(msgspec.Struct, frozen=True):
    """What a crash front door decoded: the parsed report (untyped until after consent) and the files."""

    source: str  # "native" | "crashpad"
    report: dict[str, object]
    minidump: Minidump | None
    attachments: list[Attachment]
