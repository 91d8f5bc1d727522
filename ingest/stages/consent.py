"""Consent stage: nothing is examined further unless the user granted this kind of data."""

from __future__ import annotations

from typing import Any, Literal

from ingest.errors import Refusal

Scope = Literal["telemetry", "crash_report"]
GRANTED = "granted"


def check_consent(raw: dict[str, Any], scope: Scope) -> None:
    """Refuse unless raw["consent"][scope] is exactly "granted" (missing, denied or malformed all refuse)."""
    consent = raw.get("consent")
    if not isinstance(consent, dict) or consent.get(scope) != GRANTED:
        raise Refusal("consent_required", f'consent.{scope} must be "{GRANTED}"; nothing was stored')
