"""Files the writer publishes for the workers (block list, consent denials): replaced atomically, re-read by each
worker at most once a second and only when they changed, so a hot request path costs one clock read."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
RELOAD_INTERVAL_S = 1.0


def publish(path: Path, value: Any) -> None:
    """Replace the file atomically: a reader sees the old document or the new one, never half of one."""
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.encode(value))
    os.replace(tmp, path)


class PublishedFile(Generic[T]):
    def __init__(self, path: Path, kind: type[T]) -> None:
        self._path = path
        self._kind = kind
        self._mtime = 0.0
        self._checked = 0.0

    def changed(self) -> T | None:
        """The new document when the file changed since the last read (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked < RELOAD_INTERVAL_S:
            return None
        self._checked = now
        try:
            mtime = os.stat(self._path).st_mtime
        except FileNotFoundError:
            return None
        if mtime == self._mtime:
            return None
        self._mtime = mtime
        return msgspec.json.decode(self._path.read_bytes(), type=self._kind)
