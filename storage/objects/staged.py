"""An object written as it arrives, before its key is known: a crash upload's minidump goes to the store while the
request body is read, hashed on the way, and is given its key (or dropped) once the upload is accepted (or refused).

`ObjectStore.stage()` gives one. Up to STAGE_BUFFER bytes it is held in memory (most dumps: committed with one
write, as a put would, with no file made for a refused upload); past that it spills to a file the store chose: the
local store writes it next to its objects and renames it into place on commit, other stores write an anonymous
temporary file (gone when closed, even after kill -9) and upload from it. Either way memory holds at most
STAGE_BUFFER bytes of it, and readers of a spilled object map the file (`mapped()`): only the pages they touch
are read."""

from __future__ import annotations

import hashlib
import mmap
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import BinaryIO, cast

from storage.errors import StorageUnavailable
from storage.objects.base import ObjectStore, validate_key, validate_metadata

STAGE_BUFFER = 1 << 20  # bytes held in memory; past this the object spills to a file, written in pieces this long
HEAD_BYTES = 8  # the first bytes, kept for sniffing the format (compressed dumps) without a read
_OPEN, _COMMITTED, _DISCARDED = range(3)


class StagedObject(ABC):
    """Bytes written as they arrive and hashed (SHA-256) as written; then `commit(key)` stores them under a key,
    durable when it returns, or `discard()` drops them. Used by one thread at a time (the event loop writes, a
    worker thread commits); `discard()` after `commit()` is a no-op, so a caller can always discard in a
    `finally`."""

    def __init__(self, store: ObjectStore, spill_at: int = STAGE_BUFFER) -> None:
        self._store = store
        self._spill_at = spill_at
        self._buffer = bytearray()
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        self._state = _OPEN
        self.size = 0
        self.head = b""

    @property
    def spilled(self) -> bool:
        """Whether the bytes went to a file (more than fit the memory buffer)."""
        return self._file is not None

    @property
    def committed(self) -> bool:
        return self._state == _COMMITTED

    def write(self, data: bytes | memoryview) -> None:
        if self._state != _OPEN:
            raise ValueError("write to a staged object already committed or discarded")
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(data[:HEAD_BYTES - len(self.head)])
        self._hash.update(data)
        self.size += len(data)
        if self._file is None and self.size <= self._spill_at:
            self._buffer += data
            return
        try:
            if self._file is None:
                self._file = self._open()
                self._file.write(self._buffer)
                self._buffer = bytearray()
            self._file.write(data)
        except OSError as exc:  # ENOSPC, EIO: the store's disk, not the client, is the problem
            raise StorageUnavailable(f"staging an object: {exc.strerror or exc}") from exc

    def sha256(self) -> str:
        return self._hash.hexdigest()

    @contextmanager
    def mapped(self) -> Iterator[memoryview]:
        """The bytes written so far, read in place: the memory buffer, or the file mapped read-only."""
        if self._file is None:
            view = memoryview(self._buffer)
            try:
                yield view
            finally:
                with suppress(BufferError):
                    view.release()
            return
        self._flush(self._file)
        mapping = mmap.mmap(self._file.fileno(), self.size, access=mmap.ACCESS_READ)
        view = memoryview(mapping)
        try:
            yield view
        finally:
            with suppress(BufferError):  # a slice still alive somewhere: unmapped with it, by the collector
                view.release()
                mapping.close()

    def chunks(self, size: int = STAGE_BUFFER) -> Iterator[bytes]:
        """The bytes written so far, in pieces of at most `size` bytes."""
        if self._file is None:
            for start in range(0, self.size, size):
                yield bytes(self._buffer[start:start + size])
            return
        self._flush(self._file)
        fd, offset = self._file.fileno(), 0
        while offset < self.size:
            try:
                piece = os.pread(fd, min(size, self.size - offset), offset)
            except OSError as exc:
                raise StorageUnavailable(f"reading a staged object: {exc.strerror or exc}") from exc
            if not piece:
                raise StorageUnavailable("a staged object is shorter than what was written")
            offset += len(piece)
            yield piece

    def commit(self, key: str, *, content_type: str = "application/octet-stream",
               metadata: dict[str, str] | None = None) -> None:
        """Store the bytes under `key` (readers see the old object or the new one); durable when it returns."""
        validate_key(key)
        validate_metadata(metadata, content_type)
        if self._state != _OPEN:
            raise ValueError("a staged object is committed once")
        if self._file is None:
            self._store.put(key, self._buffer, content_type=content_type, metadata=metadata)  # no copy
        else:
            self._flush(self._file)
            self._commit_file(self._file, key, content_type, metadata)
        self._state = _COMMITTED
        self._release()

    def discard(self) -> None:
        """Drop the bytes (best effort, never raises); nothing once committed."""
        if self._state != _OPEN:
            return
        self._state = _DISCARDED
        self._release()
        with suppress(OSError):
            self._remove()

    def _release(self) -> None:
        self._buffer = bytearray()
        if self._file is not None:
            with suppress(OSError):
                self._file.close()

    @staticmethod
    def _flush(file: BinaryIO) -> None:
        try:
            file.flush()
        except OSError as exc:
            raise StorageUnavailable(f"staging an object: {exc.strerror or exc}") from exc

    @abstractmethod
    def _open(self) -> BinaryIO:
        """The file the object spills to (read-write, buffered STAGE_BUFFER)."""

    @abstractmethod
    def _commit_file(self, file: BinaryIO, key: str, content_type: str, metadata: dict[str, str] | None) -> None:
        """Store the (flushed) file under `key`; errors as the store's put raises them."""

    def _remove(self) -> None:
        """Remove what closing the file leaves behind (nothing, for an anonymous temporary file)."""
        return None


class TempStaged(StagedObject):
    """Spilled to an anonymous temporary file in `directory` (removed by the kernel when closed, even after
    kill -9), handed to the store's `put_file` on commit."""

    def __init__(self, store: ObjectStore, directory: str | None) -> None:
        super().__init__(store)
        self._directory = directory

    def _open(self) -> BinaryIO:
        return cast(BinaryIO, tempfile.TemporaryFile(dir=self._directory, buffering=STAGE_BUFFER))

    def _commit_file(self, file: BinaryIO, key: str, content_type: str, metadata: dict[str, str] | None) -> None:
        file.seek(0)
        self._store.put_file(key, file, self.size, content_type=content_type, metadata=metadata)
