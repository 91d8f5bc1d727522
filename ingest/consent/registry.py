"""The workers' view of the consent registry: which installs currently deny which scope.

The writer owns the registry (ClickHouse table consent_changes) and publishes the denials to a file under the
data dir; every worker re-reads it at most once a second when it changed. A choice this worker accepted itself
applies at once, before the writer has published it; the writer also drops rows another worker accepted after a
denial it had not yet seen (see ingest/durable/consent.py), so a withdrawal never depends on that race.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from ingest.consent.published import PublishedFile, publish
from ingest.errors import Refusal
from ingest.settings import Settings
from storage.consent import SCOPES
from storage.privacy import install_hash, pseudonymous_install_id

LOCAL_CHOICE_TTL_S = 60.0  # the writer publishes within seconds; after this the published file is the truth

Denials = dict[str, dict[str, float]]  # scope -> {install hash: denied since (epoch s)}


def registry_path(settings: Settings) -> Path:
    return settings.data_path / "consent-denials.json"


def save_denials(path: Path, denials: Denials) -> None:
    publish(path, denials)


class ConsentRegistry:
    def __init__(self, path: Path, key: bytes) -> None:
        self._file = PublishedFile(path, Denials)
        self._key = key
        self._published: Denials = {scope: {} for scope in SCOPES}
        # (hash, scope) -> (state, when it was recorded (epoch s), when this worker learnt it (monotonic s))
        self._local: dict[tuple[str, str], tuple[str, float, float]] = {}

    def hash(self, install_id: uuid.UUID) -> str:
        return install_hash(self._key, install_id)

    def install_id(self, identity: str) -> uuid.UUID:
        """The install id for an identity: a native install id, a Sentry user.id or a PostHog distinct_id."""
        return pseudonymous_install_id(self._key, identity)

    def record_local(self, install_id: uuid.UUID, choices: dict[str, str], at: float) -> None:
        """A choice this worker just made durable: it applies to this worker's next request."""
        digest = self.hash(install_id)
        for scope, state in choices.items():
            self._local[(digest, scope)] = (state, at, time.monotonic())

    def denied_since(self, install_id: uuid.UUID, scope: str) -> float | None:
        """When the install's current choice for the scope became "denied", or None if it is not denied."""
        self._reload()
        if not self._local and not self._published.get(scope):
            return None  # nobody denied anything: no keyed hash on the hot path
        digest = self.hash(install_id)
        local = self._local.get((digest, scope))
        if local is not None:
            state, at, learnt = local
            if time.monotonic() - learnt < LOCAL_CHOICE_TTL_S:
                return at if state == "denied" else None
            del self._local[(digest, scope)]
        return self._published.get(scope, {}).get(digest)

    def allows(self, install_id: uuid.UUID, scope: str) -> bool:
        return self.denied_since(install_id, scope) is None

    def check(self, install_id: uuid.UUID, scope: str) -> None:
        """The native API's refusal; compatibility endpoints answer their SDK's way instead (allows())."""
        if not self.allows(install_id, scope):
            raise Refusal("consent_denied", f"the consent registry records that this install denied {scope}; "
                                            "nothing was stored")

    def _reload(self) -> None:
        if (published := self._file.changed()) is not None:
            self._published = published
