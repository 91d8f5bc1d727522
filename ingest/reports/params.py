"""Report parameters: one parser for the CLI flags and the admin API's query string, refusing what does not fit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

import msgspec

from ingest.reports.triage import parse_release, parse_since

EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,7}")  # the pattern intake enforces
_WINDOW = re.compile(r"(\d{1,5})([dhms])")
_SECONDS = {"d": 86_400, "h": 3600, "m": 60, "s": 1}
MAX_STEPS = 10
MAX_DAYS = 800  # a little more than the rollups' default 25 months
FORMATS = ("table", "json", "csv")
COMMON = frozenset({"since", "until", "release", "format"})


class ReportArgumentError(ValueError):
    """A parameter is malformed, or does not apply to the report asked for (CLI exit 2, API 400)."""


class Params(msgspec.Struct, frozen=True):
    since: date
    until: date
    interval: str = "day"
    event: str | None = None
    breakdown: str | None = None
    release: str | None = None
    steps: tuple[str, ...] = ()
    window_s: int = 86_400
    source: str = "rollup"
    format: str = "table"


def _event(text: str) -> str:
    if len(text) > 128 or not EVENT_NAME.fullmatch(text):
        raise ReportArgumentError(f"an event name is dotted snake_case (editor.opened), not {text[:80]!r}")
    return text


def _choice(key: str, text: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise ReportArgumentError(f"{key} must be one of {', '.join(choices)}, not {text[:40]!r}")
    return text


def _window(text: str) -> int:
    match = _WINDOW.fullmatch(text)
    seconds = int(match[1]) * _SECONDS[match[2]] if match else 0
    if not 1 <= seconds <= 90 * 86_400:
        raise ReportArgumentError(f"window must look like 30m, 2h or 7d (at most 90d), not {text[:40]!r}")
    return seconds


def _day(key: str, text: str) -> date:
    try:
        return parse_since(text).astimezone(UTC).date()
    except ValueError:
        raise ReportArgumentError(f"{key} must look like 7d, 24h or an ISO date (2026-01-31), not {text[:80]!r}") \
            from None


def _steps(text: str) -> tuple[str, ...]:
    steps = tuple(_event(step.strip()) for step in text.split(","))
    if not 2 <= len(steps) <= MAX_STEPS:
        raise ReportArgumentError(f"steps: give 2 to {MAX_STEPS} event names separated by commas")
    return steps


def parse(allowed: frozenset[str], raw: Mapping[str, str], breakdown_props: list[str]) -> Params:
    """Validate `raw` (parameter name -> text) for a report accepting the `allowed` parameters."""
    if unknown := sorted(set(raw) - allowed - COMMON):
        raise ReportArgumentError(f"this report takes no {', '.join(unknown)} (it takes: "
                                  f"{', '.join(sorted(allowed | COMMON))})")
    since = _day("since", raw.get("since", "30d"))
    until = _day("until", raw["until"]) if "until" in raw else datetime.now(UTC).date()
    if since > until or (until - since).days > MAX_DAYS:
        raise ReportArgumentError(f"since must not be after until, and the span at most {MAX_DAYS} days")
    breakdown = raw.get("breakdown")
    if breakdown is not None and breakdown not in breakdown_props:
        raise ReportArgumentError(f"breakdown {breakdown[:64]!r} is not a low-cardinality prop; declared "
                                  f"(reports.breakdown_props): {', '.join(breakdown_props) or 'none'}")
    if "steps" in allowed and "steps" not in raw:
        raise ReportArgumentError("steps is required: the funnel's event names in order, e.g. a.opened,a.saved")
    try:
        release = parse_release(raw["release"]) if "release" in raw else None
    except ValueError as exc:
        raise ReportArgumentError(str(exc)) from None
    return Params(
        since=since, until=until, interval=_choice("interval", raw.get("interval", "day"), ("day", "week")),
        event=_event(raw["event"]) if "event" in raw else None, breakdown=breakdown, release=release,
        steps=_steps(raw["steps"]) if "steps" in raw else (),
        window_s=_window(raw["window"]) if "window" in raw else 86_400,
        source=_choice("source", raw.get("source", "rollup"), ("rollup", "raw")),
        format=_choice("format", raw.get("format", "table"), FORMATS))
