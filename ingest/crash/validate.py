"""Validate stage for crash reports: typed decoding plus the crash limits."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from ingest.crash.model import CrashReport
from ingest.errors import Refusal
from ingest.settings import CrashLimitSettings, LimitSettings
from ingest.stages.patterns import EVENT_NAME, PROP_KEY
from ingest.stages.validate import check_context


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
    for key in report.extra:
        PROP_KEY.check(key, "$.extra key")
    if len(report.exception.message) > limits.max_message_length:
        raise Refusal("invalid_field", f"$.exception.message is over {limits.max_message_length} characters")
    if len(report.breadcrumbs) > limits.max_breadcrumbs:
        raise Refusal("invalid_field", f"$.breadcrumbs has more than {limits.max_breadcrumbs} entries")
    if report.ts is not None and not (now - timedelta(days=clock.max_event_age_days) <= report.ts
                                      <= now + timedelta(seconds=clock.max_clock_skew_seconds)):
        raise Refusal("timestamp_out_of_range", "$.ts is outside the accepted clock window")
    return report
