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


def pseudonymous_install_id(key: bytes, identity: str) -> uuid.UUID:
    """The install id for an SDK identity (Sentry user.id, PostHog distinct_id): the identity itself when it is
    a UUID (what our SDK guidance asks apps to use), otherwise a UUID made from its keyed hash, so a raw user id or
    e-mail never reaches storage and the same identity always maps to the same install."""
    try:
        return uuid.UUID(identity)
    except ValueError:
        raw = bytearray(hmac.new(key, b"sdk-identity\x00" + identity.encode(), hashlib.sha256).digest()[:16])
        raw[6] = (raw[6] & 0x0F) | 0x80  # RFC 9562 version 8 (custom), variant 10: a valid, recognisable UUID
        raw[8] = (raw[8] & 0x3F) | 0x80
        return uuid.UUID(bytes=bytes(raw))


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
