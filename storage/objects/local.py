"""The embedded object store: a directory of owner-only files, written atomically, metadata in sidecars."""

from __future__ import annotations

import errno
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from storage.errors import ObjectNotFound, StorageUnavailable
from storage.objects.base import DEFAULT_SETTING, ObjectInfo, ObjectStat, ObjectStore, validate_key, validate_metadata
from storage.objects.staged import STAGE_BUFFER, StagedObject

# Object files carry a suffix with '~', a character keys cannot contain, so the object "a" (a~data) and the
# directory of "a/b" (a/) never collide, and temporary files (~tmp-*) can never be mistaken for objects.
DATA_SUFFIX = "~data"
META_SUFFIX = "~meta.json"
TMP_PREFIX = "~tmp-"
# A put can race a delete that prunes the now-empty directory it is writing into; one more try wins.
_PUT_ATTEMPTS = 3
# Staged objects (stage()) are written at the root as TMP_PREFIX files and renamed into place on commit; one left
# by a killed process is removed at the next start-up once older than this (an upload never takes so long).
STALE_STAGED_S = 3600
# The extended attribute holding an object's content type and metadata (the JSON a sidecar would hold).
XATTR = "user.consentry"
_HAS_XATTR = hasattr(os, "setxattr")  # Linux only
# errno values meaning "this file system keeps no user attributes" (ENOTSUP is EOPNOTSUPP on Linux).
_NO_XATTRS = frozenset({errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM})
# ... and "this file has no such attribute" (ENODATA on Linux, ENOATTR elsewhere).
_NO_ATTRIBUTE = _NO_XATTRS | {getattr(errno, "ENODATA", errno.ENOENT), getattr(errno, "ENOATTR", errno.ENOENT)}
_PLAIN = b'{"content_type": "application/octet-stream", "metadata": {}}'


class LocalObjectStore(ObjectStore):
    """Objects as files under ``root``: ``<root>/<dirs of the key>/<last segment>~data``, with the content type and
    metadata (JSON) in the file's extended attribute ``user.consentry``, or in a ``~meta.json`` sidecar file where
    the file system has no user extended attributes (macOS's Python, old tmpfs) and for objects written before.

    Files are created owner-only (0600, directories 0700) and replaced atomically (temporary file, fsync,
    rename, fsync of the directory, and of its parent when the directory is new), so a reader or a crash sees
    the old object or the new one. The attribute is written before the data file's fsync, so data and metadata
    become durable together and are renamed into place as one: one file, two fsyncs per put (a sidecar costs a
    second file, fsync and rename).

    Not encrypted at rest: this store has no server-side encryption. Put the data directory on an encrypted
    disk (LUKS, FileVault, BitLocker, an encrypted cloud volume) or use the S3 store with ``sse=s3``.
    Keys that differ only in case collide on case-insensitive file systems (default macOS, Windows).
    """

    def __init__(self, root: Path, *, setting: str = DEFAULT_SETTING) -> None:
        self.root = Path(root)
        self.setting = setting
        self._xattrs = _HAS_XATTR  # cleared the first time the file system refuses one

    def describe(self) -> str:
        return f"local object directory {self.root}"

    def put(self, key: str, data: bytes | bytearray, *, content_type: str = "application/octet-stream",
            metadata: dict[str, str] | None = None) -> None:
        self._put(key, data, content_type, metadata)

    def stage(self) -> StagedObject:
        """Spilled (past STAGE_BUFFER) at the root, on the objects' file system: commit is an fsync and a
        rename, not a copy."""
        return _LocalStaged(self)

    def get(self, key: str) -> bytes:
        validate_key(key)
        with self._translated("get", key):
            try:
                return _data(self._path(key)).read_bytes()
            except FileNotFoundError:
                raise ObjectNotFound(f"{key!r} not found in {self.describe()}") from None

    def stat(self, key: str) -> ObjectStat:
        validate_key(key)
        path = self._path(key)
        with self._translated("stat", key):
            try:
                info = os.stat(_data(path))
            except FileNotFoundError:
                raise ObjectNotFound(f"{key!r} not found in {self.describe()}") from None
            sidecar = json.loads(self._read_metadata(path) or _PLAIN)
        return ObjectStat(key=key, size=info.st_size, last_modified=_utc(info.st_mtime),
                          content_type=sidecar["content_type"], metadata=sidecar["metadata"])

    def _read_metadata(self, path: Path) -> bytes | None:
        """The object's metadata JSON: its attribute, else its sidecar (an object written without attributes),
        else None (a sidecar object whose put crashed between the two renames: plain bytes)."""
        if self._xattrs:
            try:
                return os.getxattr(_data(path), XATTR)
            except OSError as exc:
                if exc.errno not in _NO_ATTRIBUTE:
                    raise
        try:
            return _meta(path).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        validate_key(key)
        with self._translated("exists", key):
            return _data(self._path(key)).is_file()

    def delete(self, key: str) -> None:
        validate_key(key)
        path = self._path(key)
        with self._translated("delete", key):
            _data(path).unlink(missing_ok=True)  # data first: an object without its sidecar still reads
            _meta(path).unlink(missing_ok=True)
            self._prune(path.parent)

    def list(self, prefix: str) -> list[ObjectInfo]:
        validate_key(prefix, prefix=True)
        # Only the directory named by the prefix's whole segments can hold matches; walk that subtree alone.
        start = self.root.joinpath(*prefix.split("/")[:-1])
        with self._translated("list", prefix):
            found = [info for info in self._walk(start) if info.key.startswith(prefix)]
        return sorted(found, key=lambda info: info.key)

    def _prepare(self) -> None:
        with self._translated("create the directory"):
            _makedirs(self.root)
            self._remove_stale_staged()

    def _remove_stale_staged(self) -> None:
        """Staged objects of processes killed mid-upload (kill -9): never committed, never to be."""
        cutoff = time.time() - STALE_STAGED_S
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name.startswith(TMP_PREFIX) and entry.is_file(follow_symlinks=False):
                    with suppress(FileNotFoundError):
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            os.unlink(entry.path)

    def _path(self, key: str) -> Path:
        """The object's path without suffix; safe because validate_key refused '..', '.' and leading '/'."""
        return self.root.joinpath(*key.split("/"))

    def _write_object(self, path: Path, data: bytes | bytearray | Path, sidecar: bytes) -> None:
        """`data` as bytes, or as a written (not yet fsync'd) file on this file system to rename into place."""
        _makedirs(path.parent)
        if self._xattrs:
            try:
                _place(_data(path), data, sidecar)
                _meta(path).unlink(missing_ok=True)  # an older sidecar object replaced: its sidecar would mislead
                _fsync_dir(path.parent)  # make the rename durable before put returns
                return
            except OSError as exc:
                if exc.errno not in _NO_XATTRS:
                    raise
                self._xattrs = False  # this file system has none: sidecars from now on
        _write_file(_meta(path), sidecar)  # sidecar first: whoever sees the new data sees its metadata
        _place(_data(path), data, None)
        _fsync_dir(path.parent)  # make both renames durable before put returns

    def _put(self, key: str, data: bytes | bytearray | Path, content_type: str,
             metadata: dict[str, str] | None) -> None:
        validate_key(key)
        sidecar = {"content_type": content_type, "metadata": validate_metadata(metadata, content_type)}
        path = self._path(key)
        with self._translated("put", key):
            for attempt in range(_PUT_ATTEMPTS):
                try:
                    self._write_object(path, data, json.dumps(sidecar).encode())
                    return
                except FileNotFoundError:
                    if attempt == _PUT_ATTEMPTS - 1:
                        raise

    def _walk(self, start: Path) -> Iterator[ObjectInfo]:
        for directory, _dirs, files in os.walk(start):
            for name in files:
                if not name.endswith(DATA_SUFFIX):
                    continue
                path = Path(directory, name)
                try:
                    info = path.stat()
                except FileNotFoundError:  # deleted while we walked
                    continue
                key = path.relative_to(self.root).as_posix().removesuffix(DATA_SUFFIX)
                yield ObjectInfo(key=key, size=info.st_size, last_modified=_utc(info.st_mtime))

    def _prune(self, directory: Path) -> None:
        """Remove directories the delete left empty, up to the root; a deletion should not leave id-named dirs."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:  # not empty (or already gone): stop here
                return
            directory = directory.parent

    @contextmanager
    def _translated(self, action: str, key: str | None = None) -> Iterator[None]:
        subject = f"{action} {key!r}" if key is not None else action
        try:
            yield
        except OSError as exc:  # ENOSPC, EACCES, EROFS, EIO...: the disk, not the caller, is the problem
            raise StorageUnavailable(f"{subject} under {self.root}: {exc.strerror or exc}") from exc


def _data(path: Path) -> Path:
    return path.with_name(path.name + DATA_SUFFIX)


def _meta(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _makedirs(directory: Path) -> None:
    """mkdir -p with 0700 on every level it creates (os.makedirs gives intermediate levels the umask default).

    Each level it creates has its parent fsync'd: a new directory's entry is only durable once its parent is
    (POSIX), and an object renamed into a directory whose entry is lost after a power cut is lost with it. An
    existing directory (the common case) costs no fsync; the price is a window where a put that found the
    directory just made by a concurrent put returns before that put's fsync of the parent."""
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        return  # the common case; a file in the way shows up as NotADirectoryError on the write
    except FileNotFoundError:
        _makedirs(directory.parent)
        directory.mkdir(mode=0o700, exist_ok=True)  # a concurrent put may have made it: fsync'd below anyway
    _fsync_dir(directory.parent)


def _place(target: Path, data: bytes | bytearray | Path, attribute: bytes | None) -> None:
    """The object's data file at `target`, with `attribute` as its metadata when given, fsync'd: bytes written to a
    temporary file, or a staged file, renamed into place."""
    if isinstance(data, Path):
        fd = os.open(data, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _seal(fd, attribute)
        finally:
            os.close(fd)
        os.replace(data, target)
    else:
        _write_file(target, data, attribute)


def _write_file(path: Path, data: bytes | bytearray, attribute: bytes | None = None) -> None:
    """`data` to a temporary file, with `attribute` as its metadata when given, fsync'd, renamed to `path`."""
    tmp = path.with_name(f"{TMP_PREFIX}{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with open(fd, "wb") as file:
            file.write(data)
            file.flush()
            _seal(file.fileno(), attribute)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _seal(fd: int, attribute: bytes | None) -> None:
    """The metadata attribute set (when given), then the file fsync'd: data and metadata durable together."""
    if attribute is not None:
        os.setxattr(fd, XATTR, attribute)
    os.fsync(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _LocalStaged(StagedObject):
    def __init__(self, store: LocalObjectStore) -> None:
        super().__init__(store)
        self._local = store
        self._tmp: Path | None = None

    def _open(self) -> BinaryIO:
        self._tmp = self._local.root / f"{TMP_PREFIX}{secrets.token_hex(8)}"
        fd = os.open(self._tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        return open(fd, "w+b", buffering=STAGE_BUFFER)

    def _commit_file(self, file: BinaryIO, key: str, content_type: str, metadata: dict[str, str] | None) -> None:
        assert self._tmp is not None  # flushed by the caller; _put sets its attribute and fsyncs it
        self._local._put(key, self._tmp, content_type, metadata)

    def _remove(self) -> None:
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
