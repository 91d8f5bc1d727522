"""The object-store interface, its value types, and the one key and metadata validator."""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

import msgspec

from storage.errors import StorageError, StorageUnavailable

if TYPE_CHECKING:
    from storage.objects.staged import StagedObject

DEFAULT_SETTING = "objects.url"
MAX_KEY_LENGTH = 512
# Local stores map segments to file names, and most file systems stop at 255 bytes per name.
MAX_SEGMENT_LENGTH = 200
MAX_METADATA_BYTES = 2048  # S3's limit for all user metadata of one object
PROBE_PREFIX = "_probe/"

_KEY_CHARS = re.compile(r"[A-Za-z0-9._/-]*")
# Lower case only: S3 folds metadata names to lower case, so a mixed-case name would not read back the same.
_META_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")  # printable ASCII: S3 metadata travels in HTTP headers


class ObjectInfo(msgspec.Struct, frozen=True):
    key: str
    size: int
    last_modified: datetime  # UTC


class ObjectStat(msgspec.Struct, frozen=True):
    key: str
    size: int
    last_modified: datetime  # UTC
    content_type: str
    metadata: dict[str, str]
    encryption: str | None = None  # what the server reports (x-amz-server-side-encryption), None when not encrypted


def validate_key(key: str, *, prefix: bool = False) -> str:
    """Refuse anything but ids joined by '/': callers build keys from ids, never from user-supplied names.

    A prefix may be empty and may end inside a segment (``dumps/ab``) or after a '/'.
    """
    kind = "prefix" if prefix else "key"
    if not isinstance(key, str) or not _KEY_CHARS.fullmatch(key):
        raise ValueError(f"object {kind} {key!r} may only contain A-Z a-z 0-9 . _ / -")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"object {kind} is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}")
    if key.startswith("/"):
        raise ValueError(f"object {kind} {key!r} must not start with '/'")
    segments = key.split("/")
    whole = segments[:-1] if prefix else segments  # a prefix's last segment is partial: any characters above
    if not key and not prefix:
        raise ValueError("object key must not be empty")
    for segment in whole:
        if segment in ("", ".", ".."):
            raise ValueError(f"object {kind} {key!r} has an empty, '.' or '..' segment")
    if any(len(segment) > MAX_SEGMENT_LENGTH for segment in segments):
        raise ValueError(f"object {kind} {key!r} has a segment over {MAX_SEGMENT_LENGTH} characters")
    return key


def validate_metadata(metadata: dict[str, str] | None, content_type: str) -> dict[str, str]:
    """Names lower-case [a-z0-9-], values printable ASCII, 2 KiB in all: the same rules on every store."""
    if not _HEADER_VALUE.fullmatch(content_type) or "/" not in content_type:
        raise ValueError(f"content type {content_type!r} is not a printable ASCII media type")
    result = dict(metadata or {})
    for name, value in result.items():
        if not isinstance(name, str) or not _META_NAME.fullmatch(name):
            raise ValueError(f"metadata name {name!r} must match [a-z0-9][a-z0-9-]{{0,63}}")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            raise ValueError(f"metadata {name!r} must be a printable ASCII string")
    if sum(len(name) + len(value) for name, value in result.items()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is over {MAX_METADATA_BYTES} bytes")
    return result


class ObjectStore(ABC):
    """Synchronous object store; async callers run it on a worker thread.

    Every method raises ``StorageUnavailable`` when the store cannot be used and ``ValueError`` for a bad key;
    ``get`` and ``stat`` raise ``ObjectNotFound``. Nothing else leaves an implementation.
    """

    setting: str = DEFAULT_SETTING  # the configuration key named in start-up errors
    staging_dir: str | None = None  # where stage() writes (see there)

    @abstractmethod
    def put(self, key: str, data: bytes | bytearray, *, content_type: str = "application/octet-stream",
            metadata: dict[str, str] | None = None) -> None:
        """Store ``data`` under ``key`` whole (readers see the old object or the new one, never a part)."""

    def put_file(self, key: str, file: BinaryIO, size: int, *, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> None:
        """`put` of the `size` bytes read from `file`; stores that can upload from a file override it."""
        self.put(key, file.read(size), content_type=content_type, metadata=metadata)

    def stage(self) -> StagedObject:
        """An object to write as it arrives and to commit under a key later (storage/objects/staged.py): here in
        an anonymous temporary file under `staging_dir` (the system's when None), uploaded by `put_file`."""
        from storage.objects.staged import TempStaged

        return TempStaged(self, self.staging_dir)

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def stat(self, key: str) -> ObjectStat: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing object is not an error."""

    @abstractmethod
    def list(self, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (a string prefix, as in S3), sorted by key."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def describe(self) -> str:
        """Where the objects live, for messages (never credentials)."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``, return how many were listed and deleted.

        An empty prefix is refused: erasing the whole store is never what a caller building keys from ids meant.
        Objects written concurrently under the prefix may survive; deletion jobs re-run.
        """
        validate_key(prefix, prefix=True)
        if not prefix:
            raise ValueError("refusing to delete with an empty prefix (that would be every object)")
        keys = [info.key for info in self.list(prefix)]
        self._delete_many(keys)
        return len(keys)

    def _delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.delete(key)

    def check(self) -> None:
        """Start-up verification: the store exists and is writable (a probe object is written, read, deleted)."""
        try:
            self._prepare()
            self._probe()
        except StorageError as exc:
            raise StorageUnavailable(f"{self.describe()} is not usable (check {self.setting}): {exc}") from exc

    @abstractmethod
    def _prepare(self) -> None:
        """Make sure the container (directory, bucket) exists; the only place a store may create it."""

    def _probe(self) -> None:
        key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
        data = b"consentry probe " + key.encode()
        self._probe_put(key, data)
        try:
            if self.get(key) != data:
                raise StorageUnavailable("the probe object read back different bytes")
            self._verify_probe(key)
        finally:
            self.delete(key)

    def _probe_put(self, key: str, data: bytes) -> None:
        self.put(key, data, content_type="text/plain", metadata={"purpose": "start-up-check"})

    def _verify_probe(self, key: str) -> None:
        """Hook for store-specific promises about a written object (S3: the server says it encrypted it)."""
        return None

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        return None

    def __enter__(self) -> ObjectStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
