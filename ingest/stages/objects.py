"""Store a crash's minidump and attachments under keys built from ids only (never from upload file names)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import msgspec

from ingest.crash.model import Minidump
from redact.version import REDACTION_VERSION
from storage.jobs.rescrub import VERSION_METADATA
from storage.objects import ObjectStore, StagedObject


class StoredObjects(msgspec.Struct, frozen=True):
    minidump_key: str = ""
    minidump_size: int = 0
    minidump_sha256: str = ""
    attachment_keys: list[str] = []
    attachment_sizes: list[int] = []

    def keys(self) -> list[str]:
        return ([self.minidump_key] if self.minidump_key else []) + list(self.attachment_keys)


def crash_prefix(crash_id: uuid.UUID, when: datetime) -> str:
    """`crashes/YYYY/MM/DD/<crash_id>/`: dated for lifecycle rules, and the same for a retried upload."""
    return f"crashes/{when:%Y/%m/%d}/{crash_id}/"


def put_objects(store: ObjectStore, prefix: str, minidump: Minidump | None,
                attachments: list[str]) -> StoredObjects:
    """Blocking: the pipeline calls it on a worker thread, with the minidump and redaction steps. A staged dump
    (written and hashed as it arrived) is committed under its key: no copy, no second hash."""
    written: list[str] = []
    dump_key, dump_hash, dump_size = "", "", 0
    try:
        if isinstance(minidump, StagedObject):
            dump_key, dump_hash, dump_size = prefix + "minidump.dmp", minidump.sha256(), minidump.size
            minidump.commit(dump_key, metadata={"sha256": dump_hash})
            written.append(dump_key)
        elif minidump:
            dump_key, dump_size = prefix + "minidump.dmp", len(minidump)
            dump_hash = hashlib.sha256(minidump).hexdigest()
            store.put(dump_key, minidump, metadata={"sha256": dump_hash})
            written.append(dump_key)
        keys, sizes = [], []
        for index, text in enumerate(attachments):
            data = text.encode()
            key = f"{prefix}attachment-{index}.txt"
            store.put(key, data, content_type="text/plain; charset=utf-8",
                      metadata={"sha256": hashlib.sha256(data).hexdigest(), VERSION_METADATA: str(REDACTION_VERSION)})
            written.append(key)
            keys.append(key)
            sizes.append(len(data))
    except Exception:
        remove(store, written)
        raise
    return StoredObjects(dump_key, dump_size, dump_hash, keys, sizes)


def remove(store: ObjectStore, keys: list[str]) -> None:
    """Best effort: a failure here leaves an orphan for the reconcile job, never a half-accepted crash."""
    for key in keys:
        try:
            store.delete(key)
        except Exception:  # noqa: BLE001 - cleanup must not hide the original failure
            pass
