"""Expire crash objects: delete `crashes/YYYY/MM/DD/` prefixes older than the objects threshold, then clear the
keys of the rows that pointed at them (minidump_size and minidump_sha256 stay, as the record that a dump existed).

Days to sweep: every day after the last swept one (the first run lists `crashes/` once to find the oldest day),
plus every older day a crash row still points into (a crash whose `ts` is old but that was uploaded late).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from storage.clickhouse.target import Target
from storage.jobs import ledger
from storage.jobs.base import JobContext
from storage.jobs.policy import cutoff
from storage.jobs.sql import table_exists

PREFIX = "crashes/"
_DAY_KEY = re.compile(r"crashes/(\d{4})/(\d{2})/(\d{2})/")
LEDGER_CLASS = "objects"
_WITH_KEYS = "WHERE toDate(ts) < '{0}' AND (minidump_key != '' OR notEmpty(attachment_keys))"


def day_prefix(day: date) -> str:
    return f"{PREFIX}{day:%Y/%m/%d}/"


def sweep_objects(ctx: JobContext, report: Callable[[int, int], None]) -> tuple[int, int]:
    """Delete expired objects; return (objects deleted, crash rows whose keys were cleared)."""
    before = cutoff(ctx.now(), ctx.policy.objects_delete_days)
    days = sorted(_new_days(ctx, before) | _referenced_days(ctx, before))
    deleted = 0
    for index, day in enumerate(days):
        deleted += ctx.objects.delete_prefix(day_prefix(day))
        report(index + 1, len(days))
    cleared = _clear_keys(ctx, before)
    # Every day before the cutoff is swept now; the next run starts after it.
    ledger.mark(ctx.store, LEDGER_CLASS, before - timedelta(days=1), max_block=0, rows=deleted, now=ctx.now())
    return deleted, cleared


def _new_days(ctx: JobContext, before: date) -> set[date]:
    last = ledger.last_finished(ctx.store, LEDGER_CLASS)
    if last is None:
        found = {_key_day(info.key) for info in ctx.objects.list(PREFIX)}
        start = min((day for day in found if day is not None), default=before)
    else:
        start = last + timedelta(days=1)
    return {start + timedelta(days=n) for n in range((before - start).days)}


def _referenced_days(ctx: JobContext, before: date) -> set[date]:
    if not table_exists(ctx.store, "crashes"):
        return set()
    rows = ctx.store.query(f"SELECT DISTINCT toDate(ts) FROM {ctx.store.database}.crashes {_WITH_KEYS.format(before)}",
                           read_only=False).rows
    return {row[0] for row in rows}


def _clear_keys(ctx: JobContext, before: date) -> int:
    if not table_exists(ctx.store, "crashes"):
        return 0
    target, where = Target.of(ctx.store), _WITH_KEYS.format(before)
    count = int(ctx.store.query(f"SELECT count() FROM {target.read('crashes')} {where}", read_only=False).rows[0][0])
    if count:  # a mutation rewrites the parts it touches: only when there is something to clear
        ctx.store.command(f"ALTER TABLE {target.mutate('crashes')} UPDATE minidump_key = '', attachment_keys = [], "
                          f"attachment_sizes = [] {where} SETTINGS mutations_sync = 2")
    return count


def _key_day(key: str) -> date | None:
    match = _DAY_KEY.match(key)
    try:
        return date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        return None

