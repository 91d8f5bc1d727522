"""Crash-free: per release, the share of sessions and of installs without a crash."""

from __future__ import annotations

from ingest.reports.base import Spec
from ingest.reports.params import Params
from ingest.reports.sql import DISTINCT_SETTINGS, NIL, ROLLUP_SETTINGS, filters


def _rollup(params: Params, database: str) -> str:
    # Sketch counts (docs/reports.md). A share is 1 - crashed / all rather than a difference of two sketches, so
    # its absolute error stays at the relative error of the counts times the (small) crashed share. A crash
    # counts as one crashed session: crashes carry no session id to attribute them by. Sessions and installs
    # come from the day's own sketches (dau, not wau or mau, which reach back before the window).
    seen = (f"SELECT app_version AS release, uniqCombinedMerge(sessions) AS sessions, "
            f"uniqCombinedMerge(dau) AS installs FROM {database}.rollup_active_trailing "
            f"WHERE name = '' AND app_version != '' AND {filters(params, 'day', event=False)} GROUP BY release")
    crashed = (f"SELECT app_version AS release, uniqCombinedMerge(crashes) AS crashes, "
               f"uniqCombinedMerge(installs) AS crashed_installs FROM {database}.rollup_crashes_daily "
               f"WHERE {filters(params, 'day', event=False)} GROUP BY release")
    return (f"SELECT release, sessions, installs,\n"
            f"  round(greatest(0, 1 - crashes / sessions), 4) AS crash_free_sessions,\n"
            f"  round(greatest(0, 1 - crashed_installs / installs), 4) AS crash_free_installs\n"
            f"FROM ({seen}) AS s\nLEFT JOIN ({crashed}) AS c USING release\nORDER BY release" + ROLLUP_SETTINGS)


def _raw(params: Params, database: str) -> str:
    window = filters(params, "toDate(ts)", event=False)
    sessions = (f"SELECT install_id, session_id, app_version, min(ts) AS started FROM {database}.events "
                f"WHERE {window} AND install_id != {NIL} AND session_id != {NIL} "
                "GROUP BY install_id, session_id, app_version")
    crashes = (f"SELECT install_id, app_version, ts FROM {database}.crashes WHERE {window} "
               f"AND install_id != {NIL}")
    # Crashes carry no session id: a crash belongs to the install's latest session of that release started
    # before it (ASOF JOIN). An install crashed when it has any crash of that release in the window.
    crashed = (f"SELECT DISTINCT s.session_id FROM ({crashes}) AS c ASOF INNER JOIN ({sessions}) AS s "
               "ON c.install_id = s.install_id AND c.app_version = s.app_version AND c.ts >= s.started")
    return (f"SELECT app_version AS release, count() AS sessions, uniqExact(install_id) AS installs,\n"
            f"  round(countIf(session_id NOT IN ({crashed})) / count(), 4) AS crash_free_sessions,\n"
            f"  round(uniqExactIf(install_id, (install_id, app_version) NOT IN (SELECT install_id, app_version "
            f"FROM ({crashes}))) / uniqExact(install_id), 4) AS crash_free_installs\n"
            f"FROM ({sessions})\nGROUP BY release\nORDER BY release" + DISTINCT_SETTINGS)


def build(params: Params, database: str) -> str:
    return _rollup(params, database) if params.source == "rollup" else _raw(params, database)


SHARES = ("sessions", "installs", "crash_free_sessions", "crash_free_installs")
_GUARDS: dict[str, tuple[str, ...]] = {col: ("installs",) for col in ("release", *SHARES)}
CRASH_FREE = Spec("crash-free", frozenset({"source"}), build, lambda params: ["release", *SHARES], _GUARDS)
