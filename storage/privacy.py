"""Keyed hashes of install ids: what audit records and block lists keep instead of the id itself."""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from pathlib import Path

KEY_BYTES = 32


def install_hash(key: bytes, install_id: uuid.UUID) -> str:
    """HMAC-SHA256 of the id's 16 bytes, 128 bits in hex: stable per key, useless without the key."""
    return hmac.new(key, install_id.bytes, hashlib.sha256).hexdigest()[:32]


def load_or_create_key(path: Path) -> bytes:
    """The key file under the data dir, created once (owner-only) when no key is configured."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ValueError(f"{path} must hold exactly {KEY_BYTES} bytes") from None
        return key
    key = os.urandom(KEY_BYTES)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key
