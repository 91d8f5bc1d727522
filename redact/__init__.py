"""Consentry's redaction library: strips personal data and user content from telemetry and crash reports.

Pure functions, no I/O: `Redactor(policy).redact_mapping(props)` for events, `redact_text(..., tier="deep")`
for crash free text. Every call returns the redacted value and per-rule finding counts, never removed text.
"""

from __future__ import annotations

from redact.model import Redacted, Tier
from redact.policy import Policy, PolicyError, load_policy
from redact.redactor import Redactor

__all__ = ["Policy", "PolicyError", "Redacted", "Redactor", "Tier", "load_policy"]
