"""Validate stage: typed decoding into EventBatch plus the configurable limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from ingest.errors import Refusal
from ingest.model import EventBatch
from ingest.settings import LimitSettings


def validate_batch(raw: dict[str, Any], limits: LimitSettings, now: datetime) -> EventBatch:
    """Turn parsed objects into an EventBatch, or refuse naming the first bad field."""
    events = raw.get("events")
    if isinstance(events, list) and len(events) > limits.max_events_per_batch:
        raise Refusal("too_many_events", f"{len(events)} events exceed the limit of {limits.max_events_per_batch}")
    try:
        batch = msgspec.convert(raw, EventBatch)
    except msgspec.ValidationError as exc:
        raise Refusal("invalid_field", str(exc)) from None
    oldest = now - timedelta(days=limits.max_event_age_days)
    newest = now + timedelta(seconds=limits.max_clock_skew_seconds)
    for index, event in enumerate(batch.events):
        if not oldest <= event.ts <= newest:
            raise Refusal(
                "timestamp_out_of_range",
                f"$.events[{index}].ts must lie between now - {limits.max_event_age_days} days "
                f"and now + {limits.max_clock_skew_seconds} s",
            )
        _check_props(index, event.props, limits)
    return batch


def _check_props(index: int, props: dict[str, Any], limits: LimitSettings) -> None:
    if len(props) > limits.max_props_per_event:
        raise Refusal(
            "invalid_field", f"$.events[{index}].props has {len(props)} keys, over {limits.max_props_per_event}"
        )
    for key, value in props.items():
        if isinstance(value, str) and len(value) > limits.max_string_length:
            raise Refusal(
                "invalid_field",
                f"$.events[{index}].props.{key} is {len(value)} characters, over {limits.max_string_length}",
            )
