"""Reconcile crash objects with crash rows: delete objects no row refers to (a worker killed between storing a
dump and spooling its row leaves one; the upload was never acknowledged, so nobody expects it kept).

An object is an orphan only once it is older than ORPHAN_AGE: a row can wait in a spool (accepted, not yet
written) while storage is down, and its objects must not be taken from under it meanwhile."""

from __future__ import annotations

import re
from datetime import timedelta

from storage.clickhouse.client import string
from storage.jobs.base import JobContext, JobResult

ORPHAN_AGE = timedelta(hours=24)
_CRASH_KEY = re.compile(r"^crashes/\d{4}/\d{2}/\d{2}/([0-9a-f-]{36})/")
BATCH = 1000


def reconcile(ctx: JobContext) -> JobResult:
    store, now = ctx.store, ctx.now()
    candidates: dict[str, list[str]] = {}
    for info in ctx.objects.list("crashes/"):
        match = _CRASH_KEY.match(info.key)
        if match and now - info.last_modified >= ORPHAN_AGE:
            candidates.setdefault(match.group(1), []).append(info.key)
    ids = sorted(candidates)
    known: set[str] = set()
    for start in range(0, len(ids), BATCH):
        chunk = ", ".join(string(i) for i in ids[start:start + BATCH])
        result = store.query(f"SELECT DISTINCT toString(crash_id) FROM {store.database}.crashes "
                             f"WHERE crash_id IN ({chunk})")
        known.update(row[0] for row in result.rows)
        ctx.progress(min(start + BATCH, len(ids)), len(ids))
    orphans = [key for crash_id in ids if crash_id not in known for key in candidates[crash_id]]
    for key in orphans:
        ctx.objects.delete(key)
    return JobResult("reconcile", {}, len(orphans), {"crashes_checked": len(ids)})
