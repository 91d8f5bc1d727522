"""Where spool segments live and how they are named: <spool>/<worker>/<seq>.seg, newest = highest seq."""

from __future__ import annotations

import os
from pathlib import Path

SUFFIX = ".seg"


def worker_dir(spool: Path, worker: str) -> Path:
    return spool / worker


def segments(directory: Path) -> list[Path]:
    """Segments of one worker, oldest first."""
    try:
        names = [e.name for e in os.scandir(directory) if e.name.endswith(SUFFIX) and e.name[:-4].isdigit()]
    except FileNotFoundError:
        return []
    return [directory / name for name in sorted(names)]


def next_segment(directory: Path) -> Path:
    """A fresh segment after every existing one: a restarted worker never appends to a possibly torn file."""
    existing = segments(directory)
    seq = int(existing[-1].name[:-4]) + 1 if existing else 1
    return directory / f"{seq:012d}{SUFFIX}"


def worker_dirs(spool: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(spool) if e.is_dir())
    except FileNotFoundError:
        return []


def spool_bytes(spool: Path) -> int:
    """Bytes held in all segments: what the cap limits (the writer deletes segments it has drained)."""
    total = 0
    for directory in worker_dirs(spool):
        for entry in os.scandir(directory):
            if entry.name.endswith(SUFFIX):
                total += entry.stat().st_size
    return total


def fsync_dir(directory: Path) -> None:
    """Make a created or removed file name durable, not only its contents."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
