"""The writer's progress: for each segment, the offset up to which records are committed to storage."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from ingest.durable.segments import fsync_dir


class Checkpoint(msgspec.Struct):
    offsets: dict[str, int] = {}  # segment path relative to the spool dir -> committed offset


def load(path: Path) -> Checkpoint:
    try:
        return msgspec.json.decode(path.read_bytes(), type=Checkpoint)
    except FileNotFoundError:
        return Checkpoint()


def save(path: Path, checkpoint: Checkpoint) -> None:
    """Atomic replace: a crash leaves the old or the new checkpoint, never half of one."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        out.write(msgspec.json.encode(checkpoint))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
