"""Validate stage: typing plus the configurable limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support import make_batch

from ingest.errors import Refusal
from ingest.model import Decoded, EventBatch
from ingest.settings import LimitSettings
from ingest.stages.validate import validate_batch

NOW = datetime.now(UTC)


def test_valid_batch_is_typed() -> None:
    batch = validate_batch(Decoded(raw=make_batch(2)), LimitSettings(), NOW)
    assert isinstance(batch, EventBatch)
    assert batch.events[0].props == {"mode": "split", "duration_ms": 1234, "ok": True}


@pytest.mark.parametrize(
    ("limits", "props", "code"),
    [
        (LimitSettings(max_props_per_event=2), None, "invalid_field"),
        (LimitSettings(max_string_length=4), None, "invalid_field"),
        (LimitSettings(max_events_per_batch=1), None, "too_many_events"),
        (LimitSettings(), {"x" * 65: 1}, "invalid_field"),
    ],
)
def test_limits_refuse(limits: LimitSettings, props: dict[str, object] | None, code: str) -> None:
    with pytest.raises(Refusal) as caught:
        validate_batch(Decoded(raw=make_batch(2, props=props)), limits, NOW)
    assert caught.value.code == code


def test_clock_window_is_configurable() -> None:
    limits = LimitSettings(max_event_age_days=1, max_clock_skew_seconds=60)
    validate_batch(Decoded(raw=make_batch(1, ts=NOW - timedelta(hours=23))), limits, NOW)
    for ts in (NOW - timedelta(days=2), NOW + timedelta(minutes=2)):
        with pytest.raises(Refusal) as caught:
            validate_batch(Decoded(raw=make_batch(1, ts=ts)), limits, NOW)
        assert caught.value.code == "timestamp_out_of_range"
