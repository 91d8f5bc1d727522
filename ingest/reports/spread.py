"""How crash groups spread: crashes per day (sparklines), per OS and version and per release; and k-anonymity of
their install counts. SQL for the admin API, beside triage.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ingest.crash.fingerprint import signature
from ingest.reports.triage import parse_group_id, parse_release, records, time_literal
from storage.clickhouse.client import QueryResult
from storage.clickhouse.client import string as quote
from storage.rows import FrameRow

SPLIT_LIMIT = 20  # rows per split: the long tail of OS builds is noise on a triage page


def daily_sql(database: str, group_ids: Sequence[str], *, since: datetime, release: str | None = None) -> str:
    """Crashes per UTC day and group within the window; days without crashes have no row."""
    ids = ", ".join(quote(parse_group_id(group_id)) for group_id in group_ids) or "''"
    where = f"ts >= {time_literal(since)} AND fingerprint IN ({ids})"
    where += f" AND app_version = {quote(parse_release(release))}" if release else ""
    return (f"SELECT fingerprint AS group_id, toString(toDate(ts)) AS day, count() AS crashes\n"
            f"FROM {database}.crashes FINAL\nWHERE {where}\nGROUP BY group_id, day\nORDER BY group_id, day")


def os_split_sql(database: str, group_id: str) -> str:
    """A group's crashes per (OS, OS version), most first."""
    return (f"SELECT os, os_version, count() AS crashes\nFROM {database}.crashes FINAL\n"
            f"WHERE fingerprint = {quote(parse_group_id(group_id))}\nGROUP BY os, os_version\n"
            f"ORDER BY crashes DESC, os, os_version\nLIMIT {SPLIT_LIMIT}")


def release_split_sql(database: str, group_id: str) -> str:
    """A group's crashes per app version (release), most first."""
    return (f"SELECT app_version AS release, count() AS crashes\nFROM {database}.crashes FINAL\n"
            f"WHERE fingerprint = {quote(parse_group_id(group_id))}\nGROUP BY release\n"
            f"ORDER BY crashes DESC, release\nLIMIT {SPLIT_LIMIT}")


def daily_by_group(result: QueryResult) -> dict[str, list[dict[str, Any]]]:
    """`daily_sql` rows as group id -> [{day, crashes}] in day order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in records(result):
        out.setdefault(row["group_id"], []).append({"day": row["day"], "crashes": row["crashes"]})
    return out


def hide_small_installs(group: dict[str, Any], k: int) -> dict[str, Any]:
    """A group of fewer than k installs is still shown for triage, but its install count is not: the count alone
    (1 install, 3 crashes) can point at a person. Nothing below k leaves here, not even as a bound."""
    small = group["installs"] < k
    return group | {"installs": None if small else group["installs"], "installs_suppressed": small}


def signature_of(frames: Sequence[dict[str, Any]]) -> list[str]:
    """The normalised frames the group is keyed on (fingerprint.py), from a stored crash's frames."""
    return signature([FrameRow(f["module"], f["function"], f["file"], f["line"], f["in_app"]) for f in frames])
