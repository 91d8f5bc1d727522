"""The block list: installs whose data was deleted at their request, refused for a grace period."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from ingest.consent.published import PublishedFile, publish
from ingest.errors import Refusal
from ingest.settings import Settings
from storage.privacy import install_hash


def blocklist_path(settings: Settings) -> Path:
    return settings.data_path / "deleted-installs.json"


class Blocklist:
    """Keyed hashes of deleted installs -> until (epoch seconds). The writer owns the file; workers read it
    (re-read at most once a second when it changed) and add what they accepted themselves meanwhile."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._path = path
        self._file = PublishedFile(path, dict[str, float])
        self._key = key
        self._entries: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def hash(self, install_id: uuid.UUID) -> str:
        return install_hash(self._key, install_id)

    def add(self, digest: str, until: float) -> None:
        self._entries[digest] = max(until, self._entries.get(digest, 0.0))

    def blocked(self, digest: str) -> bool:
        until = self._entries.get(digest)
        return until is not None and until > time.time()

    def withdrawn(self, install_id: uuid.UUID) -> bool:
        """Whether the install's deletion was requested within the grace period."""
        self._reload()
        return bool(self._entries) and self.blocked(self.hash(install_id))

    def check(self, install_id: uuid.UUID) -> None:
        """Refuse data from an install whose deletion was requested within the grace period."""
        if self.withdrawn(install_id):
            raise Refusal("consent_withdrawn", "this install asked for its data to be deleted; nothing was stored")

    def _reload(self) -> None:
        for digest, until in (self._file.changed() or {}).items():
            self.add(digest, until)

    def save(self) -> None:
        """Atomically replace the file with the unexpired entries (the writer's job)."""
        now = time.time()
        publish(self._path, {d: u for d, u in self._entries.items() if u > now})
