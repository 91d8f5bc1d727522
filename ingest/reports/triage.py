"""Crash triage reports: argument validation and the SQL shared by `consentry crashes` and the admin API."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.clickhouse.client import QueryResult
from storage.clickhouse.client import string as quote  # callers validate first; escaping is the second line of defence

DEFAULT_SINCE = "7d"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
GROUP_ID = re.compile(r"[0-9a-fA-F]{32}")  # the first 32 hex digits of a SHA-256 (see fingerprint.py)
# The pattern intake enforces on app_version, so every stored release can be asked for and nothing else.
RELEASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+()/-]{0,63}")
_SINCE = re.compile(r"(\d{1,5})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # DateTime64 cannot hold much earlier; nothing was stored before it


def _iso(expr: str) -> str:
    """ISO 8601 with a `Z`: the driver hands DateTime64 back without its zone, which JSON readers would misread."""
    return f"concat(replaceOne(toString({expr}), ' ', 'T'), 'Z')"


# Every report reads with FINAL (a retried upload is one crash), also when a caller forgets `final=1`.
_SUMMARY = f"""
    fingerprint AS group_id,
    count() AS crashes,
    uniq(install_id) AS installs,
    {_iso('min(ts)')} AS first_seen,
    {_iso('max(ts)')} AS last_seen,
    arraySort(groupUniqArray(app_version)) AS releases,
    arraySort(groupUniqArray(app)) AS apps,
    argMax(exception_type, ts) AS exception_type,
    argMax(exception_message, ts) AS sample_message"""
# chDB names no columns for an empty result; a table header still should.
SUMMARY_COLUMNS = tuple(re.findall(r"AS (\w+)", _SUMMARY))
_CRASH = f"""
    toString(crash_id) AS crash_id, fingerprint AS group_id, {_iso('ts')} AS ts, {_iso('received_at')} AS received_at,
    source, app, app_version, os, os_version, device_type, exception_type, exception_message, frames, breadcrumbs,
    toBool(minidump_key != '') AS has_minidump"""
_CRASH_DETAIL = _CRASH + """, toString(install_id) AS install_id, extra, minidump_size, minidump_sha256,
    minidump_parsed, minidump_error, dump_exception_code, dump_exception_name, dump_os, dump_cpu_arch,
    dump_modules, attachment_sizes, redactions"""


def parse_group_id(text: str) -> str:
    if not GROUP_ID.fullmatch(text):
        raise ValueError(f"a group id is 32 hex digits, not {text[:80]!r}")
    return text.lower()


def parse_crash_id(text: str) -> str:
    try:
        if len(text) > 45:  # the longest form uuid.UUID takes: urn:uuid:<36>
            raise ValueError(text)
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError(f"a crash id is a UUID, not {text[:80]!r}") from None


def parse_release(text: str) -> str:
    if not RELEASE.fullmatch(text):
        raise ValueError(f"a release is up to 64 of A-Z a-z 0-9 space . _ + ( ) / -, not {text[:80]!r}")
    return text


def parse_limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {text[:20]!r}")
    return int(text)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `24h`, `30m` back from now, or an ISO date / date-time (UTC unless it names a zone)."""
    try:
        if match := _SINCE.fullmatch(text):
            ago = timedelta(**{_UNITS[match[2]]: int(match[1])})
            return max((now or datetime.now(UTC)) - ago, _EPOCH)
        if len(text) > 40:  # longer than any ISO date-time with offset and microseconds
            raise ValueError(text)
        when = datetime.fromisoformat(text)
        return max(when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC), _EPOCH)
    except (ValueError, OverflowError):  # OverflowError: past the calendar's edge (0001-01-01T00:00+01:00, 10**9d)
        raise ValueError(f"since must look like 7d, 24h, 30m or an ISO date (2026-01-31), not {text[:80]!r}") from None


def time_literal(when: datetime) -> str:
    return f"toDateTime64({quote(when.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3])}, 3, 'UTC')"


def top_sql(database: str, *, since: datetime, release: str | None = None, limit: int = DEFAULT_LIMIT) -> str:
    """Groups by crash count within the window (and release): the `crashes top` table."""
    where = f"ts >= {time_literal(since)}" + (f" AND app_version = {quote(parse_release(release))}" if release else "")
    return (f"SELECT {_SUMMARY}\nFROM {database}.crashes FINAL\nWHERE {where}\nGROUP BY fingerprint\n"
            f"ORDER BY crashes DESC, last_seen DESC, group_id\nLIMIT {int(limit)}")


def group_sql(database: str, group_id: str) -> str:
    """One group's summary over all time; no row when the group is unknown."""
    return (f"SELECT {_SUMMARY}\nFROM {database}.crashes FINAL\n"
            f"WHERE fingerprint = {quote(parse_group_id(group_id))}\nGROUP BY fingerprint")


def latest_sql(database: str, group_id: str, limit: int) -> str:
    """A group's most recent crashes, with their crashing-thread frames."""
    return (f"SELECT {_CRASH}\nFROM {database}.crashes FINAL\nWHERE fingerprint = {quote(parse_group_id(group_id))}"
            f"\nORDER BY ts DESC, crash_id\nLIMIT {int(limit)}")


def crash_sql(database: str, crash_id: str) -> str:
    """Everything stored about one crash except object keys (the minidump has its own route)."""
    return (f"SELECT {_CRASH_DETAIL}\nFROM {database}.crashes FINAL\n"
            f"WHERE crashes.crash_id = toUUID({quote(parse_crash_id(crash_id))})")


def minidump_sql(database: str, crash_id: str) -> str:
    """Where a crash's minidump lives: one row (key empty when uploaded without one), or none."""
    return (f"SELECT minidump_key, minidump_sha256\nFROM {database}.crashes FINAL\n"
            f"WHERE crashes.crash_id = toUUID({quote(parse_crash_id(crash_id))})")


def records(result: QueryResult) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def group_detail(summary: QueryResult, latest: QueryResult) -> dict[str, Any] | None:
    """`{"group": {...}, "crashes": [...]}`, or None for an unknown group."""
    groups = records(summary)
    return {"group": groups[0], "crashes": records(latest)} if groups else None
