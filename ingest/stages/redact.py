"""Redact stage: every string bound for storage passes through the redact library here, and only here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from ingest.model import EventBatch
from redact import Redactor
from redact.version import REDACTION_VERSION
from storage.rows import NIL_UUID, EventRow


class RedactedBatch:
    """Rows ready to store, plus the per-rule totals for metrics and the response."""

    __slots__ = ("rows", "findings")

    def __init__(self, rows: list[EventRow], findings: Counter[str]) -> None:
        self.rows = rows
        self.findings = findings


def _redact_context(batch: EventBatch, redactor: Redactor) -> tuple[dict[str, str], Counter[str]]:
    """Redact the batch-level strings once; every row of the batch shares them."""
    context = batch.context
    fields = {
        "app": context.app, "app_version": context.app_version, "os": context.os,
        "os_version": context.os_version or "", "device_type": context.device_type or "",
        "policy_version": batch.consent.policy_version or "",
    }
    found: Counter[str] = Counter()
    values: dict[str, str] = {}
    for name, text in fields.items():
        result = redactor.redact_text(text, field=name)
        values[name] = result.value
        found.update(result.findings)
    return values, found


def _merged(base: dict[str, int], extra: dict[str, int]) -> dict[str, int]:
    if not extra:
        return base
    merged = dict(base)
    for rule, count in extra.items():
        merged[rule] = merged.get(rule, 0) + count
    return merged


def redact_batch(batch: EventBatch, redactor: Redactor, received_at: datetime) -> RedactedBatch:
    """Build storage rows with every string redacted and per-row finding counts recorded."""
    context, context_found = _redact_context(batch, redactor)
    shared = dict(context_found)
    rows: list[EventRow] = []
    totals: Counter[str] = Counter()
    install_id = batch.install_id
    # Positional, in EventRow's field order: building ~100 rows per request, keyword matching was measurable.
    app, app_version, os, os_version = context["app"], context["app_version"], context["os"], context["os_version"]
    device_type, policy_version = context["device_type"], context["policy_version"]
    columns = redactor.redact_columns
    for event in batch.events:
        result = columns(event.props)
        found = _merged(shared, result.findings)
        if found:
            totals.update(found)
        strings, numbers, flags = result.value
        rows.append(EventRow(event.event_id, install_id, event.session_id or NIL_UUID, event.name, event.ts,
                             received_at, app, app_version, os, os_version, device_type, policy_version, strings,
                             numbers, flags, found, REDACTION_VERSION))
    return RedactedBatch(rows, totals)
