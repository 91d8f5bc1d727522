"""SDK consent: an ingest key says what an app may send; a per-event marker and the registry can only narrow it.

Decided per event, stricter wins, fail closed:
1. the key must list the scope;
2. a marker, when present, must grant the scope (an unknown marker grants nothing); when the key has
   `require_marker`, a missing marker grants nothing;
3. the install must not have denied the scope in the consent registry.
A refusal here is answered the way the SDK stops without retrying (Sentry / PostHog: 200), counted, never stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ingest.consent.registry import ConsentRegistry
from ingest.errors import Refusal
from ingest.settings import ConsentScope, IngestKey, Settings

ALL: frozenset[ConsentScope] = frozenset({"telemetry", "crash_report"})
# Marker words apps use (case-insensitive). Anything else makes the marker unknown: it grants nothing.
_WORDS: dict[str, frozenset[ConsentScope]] = {
    "telemetry": frozenset({"telemetry"}), "analytics": frozenset({"telemetry"}), "usage": frozenset({"telemetry"}),
    "crash_report": frozenset({"crash_report"}), "crash": frozenset({"crash_report"}),
    "crashes": frozenset({"crash_report"}), "errors": frozenset({"crash_report"}),
    "all": ALL, "granted": ALL, "none": frozenset(), "denied": frozenset(),
}
_NATIVE_KEYS: dict[str, ConsentScope] = {"telemetry": "telemetry", "crash_report": "crash_report",
                                         "crash": "crash_report", "analytics": "telemetry"}


def authorize(settings: Settings, key: str | None) -> IngestKey:
    """The key's policy, or 401 before anything else is read (unknown and revoked keys look the same)."""
    policy = settings.ingest_keys.get(key or "")
    if policy is None or policy.revoked:
        raise Refusal("unknown_ingest_key", "unknown or revoked ingest key; nothing was read")
    return policy


def parse_marker(value: Any) -> frozenset[ConsentScope] | None:
    """The scopes a marker grants, or None when it is not understood.

    Accepted: a word or a comma/space-separated list of words ("analytics", "crash,analytics", "all", "none"), a
    list of words, true / false, or an object: {"state": "granted", "scopes": [...]} or the native
    {"telemetry": "granted", "crash_report": "denied"}."""
    if isinstance(value, bool):
        return ALL if value else frozenset()
    if isinstance(value, str):
        return _words(value.replace(",", " ").split())
    if isinstance(value, list):
        return _words(value) if all(isinstance(v, str) for v in value) else None
    if isinstance(value, Mapping):
        return _object(value)
    return None


def _words(words: list[str]) -> frozenset[ConsentScope] | None:
    granted: frozenset[ConsentScope] = frozenset()
    for word in words:
        scopes = _WORDS.get(word.strip().lower())
        if scopes is None:
            return None
        granted |= scopes
    return granted if words else None


def _object(value: Mapping[Any, Any]) -> frozenset[ConsentScope] | None:
    if "state" in value:
        if value["state"] != "granted":
            return frozenset() if isinstance(value["state"], str) else None
        return parse_marker(value["scopes"]) if "scopes" in value else ALL
    granted: set[ConsentScope] = set()
    for name, state in value.items():
        scope = _NATIVE_KEYS.get(str(name))
        if scope is None or state not in ("granted", "denied"):
            return None
        if state == "granted":
            granted.add(scope)
    return frozenset(granted)


def refusal_reason(key: IngestKey, scope: ConsentScope, markers: list[Any], registry: ConsentRegistry,
                   install_id: uuid.UUID) -> str | None:
    """Why this event may not be kept (a metric label), or None when it may. `markers` holds every marker the
    event carries (Sentry has two places for one); each must grant the scope."""
    if scope not in key.scopes:
        return "key_scope"
    if not markers and key.require_marker:
        return "marker_missing"
    for marker in markers:
        granted = parse_marker(marker)
        if granted is None:
            return "marker_unknown"
        if scope not in granted:
            return "marker_denies"
    if not registry.allows(install_id, scope):
        return "registry_denied"
    return None
