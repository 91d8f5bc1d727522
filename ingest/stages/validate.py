"""Validate stage: typed decoding into EventBatch or CrashReport, plus the patterns and configurable limits."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ingest.crash.model import CrashReport
from ingest.errors import Refusal
from ingest.model import Context, Decoded, EventBatch
from ingest.settings import CrashLimitSettings, LimitSettings
from ingest.stages.patterns import CONTEXT_VALUE, EVENT_NAME, PROP_KEY


def validate_batch(decoded: Decoded, limits: LimitSettings, now: datetime) -> EventBatch:
    """The typed batch, or a refusal naming the first bad field."""
    batch = decoded.batch if decoded.batch is not None else _convert(decoded.raw, limits)
    if len(batch.events) > limits.max_events_per_batch:
        raise Refusal("too_many_events",
                      f"{len(batch.events)} events exceed the limit of {limits.max_events_per_batch}")
    check_context(batch.context)
    oldest = now - timedelta(days=limits.max_event_age_days)
    newest = now + timedelta(seconds=limits.max_clock_skew_seconds)
    names = EVENT_NAME.valid
    for index, event in enumerate(batch.events):
        if event.name not in names and not EVENT_NAME.ok(event.name):
            raise EVENT_NAME.refusal(f"$.events[{index}].name")
        if not oldest <= event.ts <= newest:
            raise Refusal(
                "timestamp_out_of_range",
                f"$.events[{index}].ts must lie between now - {limits.max_event_age_days} days "
                f"and now + {limits.max_clock_skew_seconds} s",
            )
        _check_props(index, event.props, limits)
    return batch


def _convert(raw: dict[str, Any] | None, limits: LimitSettings) -> EventBatch:
    """The slow path, taken only when the typed decode failed: find the field to blame."""
    raw = raw or {}
    events = raw.get("events")
    if isinstance(events, list) and len(events) > limits.max_events_per_batch:
        raise Refusal("too_many_events", f"{len(events)} events exceed the limit of {limits.max_events_per_batch}")
    try:
        return msgspec.convert(raw, EventBatch)
    except msgspec.ValidationError as exc:
        raise Refusal("invalid_field", str(exc)) from None


def check_context(context: Context) -> None:
    for name in ("app", "app_version", "os", "os_version", "device_type"):
        value = getattr(context, name)
        if value is not None:
            CONTEXT_VALUE.check(value, f"$.context.{name}")


def _check_props(index: int, props: dict[str, Any], limits: LimitSettings) -> None:
    if len(props) > limits.max_props_per_event:
        raise Refusal(
            "invalid_field", f"$.events[{index}].props has {len(props)} keys, over {limits.max_props_per_event}"
        )
    known, longest = PROP_KEY.valid, limits.max_string_length
    # Called for every event: the number checks are check_number's, inlined, and a field's path is only
    # formatted for a refusal (a call and an f-string per number were most of this stage's time).
    for key, value in props.items():
        if key not in known and not PROP_KEY.ok(key):
            raise PROP_KEY.refusal(f"$.events[{index}].props key")
        kind = type(value)
        if kind is str:
            if len(value) > longest:
                raise Refusal(
                    "invalid_field",
                    f"$.events[{index}].props.{key} is {len(value)} characters, over {limits.max_string_length}",
                )
        elif kind is int:
            if not PROP_INT_MIN <= value <= PROP_INT_MAX:
                check_number(value, f"$.events[{index}].props.{key}")
        elif kind is not bool and not -_FLOAT_MAX <= value <= _FLOAT_MAX:  # a float; false for NaN as well
            check_number(value, f"$.events[{index}].props.{key}")


# Numbers are stored as 64-bit floats. An integer is taken within the 64-bit integer range (what MessagePack can
# carry; a longer JSON integer is refused, not rounded or stored as text, as JSON's 1e400 already is); a float
# must be finite, as JSON cannot carry NaN or infinity (MessagePack can).
PROP_INT_MIN, PROP_INT_MAX = -(1 << 63), (1 << 64) - 1  # Int64's floor to UInt64's ceiling
_FLOAT_MAX = sys.float_info.max


def check_number(value: int | float, path: str) -> None:
    """422 `invalid_field` for an integer outside the 64-bit range or a float that is NaN or infinite."""
    if type(value) is int:
        if not PROP_INT_MIN <= value <= PROP_INT_MAX:
            raise Refusal("invalid_field", f"{path} is an integer outside the 64-bit range")
    elif not -_FLOAT_MAX <= value <= _FLOAT_MAX:  # false for NaN as well
        raise Refusal("invalid_field", f"{path} is not a finite number (NaN and infinity are refused)")


def validate_crash(raw: dict[str, object], limits: CrashLimitSettings, clock: LimitSettings,
                   now: datetime) -> CrashReport:
    threads = raw.get("threads")
    if isinstance(threads, list):
        if len(threads) > limits.max_threads:
            raise Refusal("too_many_frames", f"{len(threads)} threads, over {limits.max_threads}")
        for index, thread in enumerate(threads):
            frames = thread.get("frames") if isinstance(thread, dict) else None
            if isinstance(frames, list) and len(frames) > limits.max_frames:
                raise Refusal("too_many_frames", f"thread {index} has {len(frames)} frames, over {limits.max_frames}")
    try:
        report = msgspec.convert(raw, CrashReport)
    except msgspec.ValidationError as exc:
        raise Refusal("invalid_field", str(exc)) from None
    check_context(report.context)
    for index, name in enumerate(report.breadcrumbs):
        EVENT_NAME.check(name, f"$.breadcrumbs[{index}]")
    for key, value in report.extra.items():
        PROP_KEY.check(key, "$.extra key")
        if type(value) is int or type(value) is float:
            check_number(value, f"$.extra.{key}")
    if len(report.exception.message) > limits.max_message_length:
        raise Refusal("invalid_field", f"$.exception.message is over {limits.max_message_length} characters")
    if len(report.breadcrumbs) > limits.max_breadcrumbs:
        raise Refusal("invalid_field", f"$.breadcrumbs has more than {limits.max_breadcrumbs} entries")
    if report.ts is not None and not (now - timedelta(days=clock.max_event_age_days) <= report.ts
                                      <= now + timedelta(seconds=clock.max_clock_skew_seconds)):
        raise Refusal("timestamp_out_of_range", "$.ts is outside the accepted clock window")
    return report
