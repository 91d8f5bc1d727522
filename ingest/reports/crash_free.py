"""Crash-free: per release, the share of sessions and of installs without a crash (raw rows)."""

from __future__ import annotations

from ingest.reports.base import Spec
from ingest.reports.params import Params
from ingest.reports.sql import NIL, filters


def build(params: Params, database: str) -> str:
    window = filters(params, "toDate(ts)", event=False)
    sessions = (f"SELECT install_id, session_id, app_version, min(ts) AS started FROM {database}.events FINAL "
                f"WHERE {window} AND install_id != {NIL} AND session_id != {NIL} "
                "GROUP BY install_id, session_id, app_version")
    crashes = (f"SELECT install_id, app_version, ts FROM {database}.crashes FINAL WHERE {window} "
               f"AND install_id != {NIL}")
    # Crashes carry no session id: a crash belongs to the install's latest session of that release started
    # before it (ASOF JOIN). An install crashed when it has any crash of that release in the window.
    crashed = (f"SELECT DISTINCT s.session_id FROM ({crashes}) AS c ASOF INNER JOIN ({sessions}) AS s "
               "ON c.install_id = s.install_id AND c.app_version = s.app_version AND c.ts >= s.started")
    return (f"SELECT app_version AS release, count() AS sessions, uniqExact(install_id) AS installs,\n"
            f"  round(countIf(session_id NOT IN ({crashed})) / count(), 4) AS crash_free_sessions,\n"
            f"  round(uniqExactIf(install_id, (install_id, app_version) NOT IN (SELECT install_id, app_version "
            f"FROM ({crashes}))) / uniqExact(install_id), 4) AS crash_free_installs\n"
            f"FROM ({sessions})\nGROUP BY release\nORDER BY release")


SHARES = ("sessions", "installs", "crash_free_sessions", "crash_free_installs")
CRASH_FREE = Spec("crash-free", frozenset(), build, lambda params: ["release", *SHARES],
                  {"release": ("installs",)} | {col: ("installs",) for col in SHARES}, raw_only=True)
