"""SDK consent decisions: the key caps, markers and the registry only narrow, unknown markers fail closed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from ingest.consent.registry import ConsentRegistry
from ingest.consent.sdk import ALL, authorize, parse_marker, refusal_reason
from ingest.errors import Refusal
from ingest.settings import IngestKey, load_settings
from storage.privacy import pseudonymous_install_id

KEY = b"k" * 32


@pytest.mark.parametrize(("marker", "granted"), [
    ("analytics", {"telemetry"}),
    ("crash, analytics", {"telemetry", "crash_report"}),
    ("ALL", set(ALL)),
    ("none", set()),
    (["errors"], {"crash_report"}),
    (True, set(ALL)),
    (False, set()),
    ({"state": "granted", "scopes": ["crash"]}, {"crash_report"}),  # the context in sentry fixture 01
    ({"state": "granted"}, set(ALL)),
    ({"state": "withdrawn", "scopes": ["crash"]}, set()),
    ({"telemetry": "granted", "crash_report": "denied"}, {"telemetry"}),  # the native consent object
])
def test_markers_name_scopes(marker: Any, granted: set[str]) -> None:
    assert parse_marker(marker) == frozenset(granted)


@pytest.mark.parametrize("marker", ["yes", "", [], [1], 3, None, {"telemetry": "maybe"}, {"state": 1},
                                    {"everything": "granted"}])
def test_unknown_markers_grant_nothing_known(marker: Any) -> None:
    assert parse_marker(marker) is None


def registry(tmp_path: Path) -> ConsentRegistry:
    return ConsentRegistry(tmp_path / "denials.json", KEY)


def test_key_scope_marker_and_registry_each_narrow(tmp_path: Path) -> None:
    reg, install = registry(tmp_path), uuid.uuid4()
    crash_only = IngestKey(app="editor", scopes=["crash_report"])
    assert refusal_reason(crash_only, "telemetry", ["all"], reg, install) == "key_scope"  # a marker never widens
    assert refusal_reason(crash_only, "crash_report", [], reg, install) is None
    strict = IngestKey(app="editor", scopes=["telemetry", "crash_report"], require_marker=True)
    assert refusal_reason(strict, "telemetry", [], reg, install) == "marker_missing"
    assert refusal_reason(strict, "telemetry", ["analytics"], reg, install) is None
    assert refusal_reason(strict, "crash_report", ["analytics"], reg, install) == "marker_denies"
    assert refusal_reason(strict, "crash_report", ["crash", "analytics"], reg, install) == "marker_denies"
    assert refusal_reason(strict, "telemetry", ["sure"], reg, install) == "marker_unknown"
    reg.record_local(install, {"telemetry": "denied"}, 1.0)
    assert refusal_reason(strict, "telemetry", ["analytics"], reg, install) == "registry_denied"
    assert refusal_reason(strict, "crash_report", ["crash"], reg, install) is None
    reg.record_local(install, {"telemetry": "granted"}, 2.0)
    assert refusal_reason(strict, "telemetry", ["analytics"], reg, install) is None


def test_unknown_and_revoked_keys_are_refused_alike() -> None:
    keys = '{"good": {"app": "a", "scopes": ["telemetry"]}, "old": {"app": "a", "scopes": [], "revoked": true}}'
    settings = load_settings(environ={"CONSENTRY_INGEST_KEYS": keys})
    assert authorize(settings, "good").app == "a"
    for key in ("old", "nope", None, ""):
        with pytest.raises(Refusal) as refused:
            authorize(settings, key)
        assert refused.value.code == "unknown_ingest_key" and refused.value.status == 401


def test_sdk_identities_map_to_stable_pseudonymous_uuids() -> None:
    native = uuid.uuid4()
    assert pseudonymous_install_id(KEY, str(native)) == native  # an install id stays itself
    alice = pseudonymous_install_id(KEY, "alice@example.com")
    assert alice == pseudonymous_install_id(KEY, "alice@example.com")
    assert alice != pseudonymous_install_id(KEY, "bob@example.com")
    assert alice != pseudonymous_install_id(b"j" * 32, "alice@example.com")  # useless without the key
    assert alice.version == 8 and alice.variant == uuid.RFC_4122
