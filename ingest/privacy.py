"""The install-hash key, and the block list of installs whose data was deleted (refused for a grace period)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import msgspec

from ingest.errors import Refusal
from ingest.settings import Settings
from storage.privacy import install_hash, load_or_create_key

RELOAD_INTERVAL_S = 1.0


def hash_key(settings: Settings) -> bytes:
    configured = settings.privacy.hash_key
    if configured:
        return bytes.fromhex(configured)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return load_or_create_key(settings.data_path / "install-hash.key")


def blocklist_path(settings: Settings) -> Path:
    return settings.data_path / "deleted-installs.json"


class Blocklist:
    """Keyed hashes of deleted installs -> until (epoch seconds). The writer owns the file; workers read it
    (re-read at most once a second when it changed) and add what they accepted themselves meanwhile."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._path = path
        self._key = key
        self._entries: dict[str, float] = {}
        self._mtime = 0.0
        self._checked = 0.0

    def __len__(self) -> int:
        return len(self._entries)

    def hash(self, install_id: uuid.UUID) -> str:
        return install_hash(self._key, install_id)

    def add(self, digest: str, until: float) -> None:
        self._entries[digest] = max(until, self._entries.get(digest, 0.0))

    def blocked(self, digest: str) -> bool:
        until = self._entries.get(digest)
        return until is not None and until > time.time()

    def check(self, install_id: uuid.UUID) -> None:
        """Refuse data from an install whose deletion was requested within the grace period."""
        self._reload()
        if self._entries and self.blocked(self.hash(install_id)):
            raise Refusal("consent_withdrawn", "this install asked for its data to be deleted; nothing was stored")

    def _reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < RELOAD_INTERVAL_S:
            return
        self._checked = now
        try:
            mtime = os.stat(self._path).st_mtime
        except FileNotFoundError:
            return
        if mtime != self._mtime:
            self._mtime = mtime
            for digest, until in msgspec.json.decode(self._path.read_bytes(), type=dict[str, float]).items():
                self.add(digest, until)

    def save(self) -> None:
        """Atomically replace the file with the unexpired entries (the writer's job)."""
        now = time.time()
        live = {d: u for d, u in self._entries.items() if u > now}
        tmp = self._path.with_suffix(".tmp")
        tmp.write_bytes(msgspec.json.encode(live))
        os.replace(tmp, self._path)
