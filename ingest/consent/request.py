"""Consent stage: nothing is examined further unless the user granted this kind of data."""

from __future__ import annotations

from typing import Any

from ingest.errors import Refusal
from ingest.model import Decoded
from ingest.settings import ConsentScope as Scope

GRANTED = "granted"


def check_consent(body: Decoded | dict[str, Any], scope: Scope) -> None:
    """Refuse unless the body's consent.<scope> is exactly "granted" (missing, denied or malformed all refuse)."""
    if isinstance(body, Decoded):
        if body.batch is not None:
            granted = getattr(body.batch.consent, scope) == GRANTED
            return _require(granted, scope)
        body = body.raw or {}
    consent = body.get("consent")
    _require(isinstance(consent, dict) and consent.get(scope) == GRANTED, scope)


def _require(granted: bool, scope: Scope) -> None:
    if not granted:
        raise Refusal("consent_required", f'consent.{scope} must be "{GRANTED}"; nothing was stored')
