"""The install-hash key: what the registries, the audit records and pseudonymous SDK identities are keyed with."""

from __future__ import annotations

from ingest.settings import Settings
from storage.privacy import load_or_create_key


def hash_key(settings: Settings) -> bytes:
    configured = settings.privacy.hash_key
    if configured:
        return bytes.fromhex(configured)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return load_or_create_key(settings.data_path / "install-hash.key")
