"""The crash-group answers of the admin API: triage rows plus sparkline days and splits, install counts k-anonymous."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.durable.writer_client import WriterClient
from ingest.reports import spread, triage

GROUP_DAYS = 30  # the group page's per-day chart; the list's sparklines cover the list's own window


async def group_list(writer: WriterClient, database: str, k: int, *, since: datetime, release: str | None,
                     limit: int) -> dict[str, Any]:
    groups = triage.records(await writer.query(triage.top_sql(database, since=since, release=release, limit=limit)))
    daily: dict[str, list[dict[str, Any]]] = {}
    if groups:
        ids = [group["group_id"] for group in groups]
        daily = spread.daily_by_group(await writer.query(spread.daily_sql(database, ids, since=since,
                                                                          release=release)))
    return {"since": since.isoformat().replace("+00:00", "Z"), "min_installs": k,
            "groups": [spread.hide_small_installs(g, k) | {"daily": daily.get(g["group_id"], [])} for g in groups]}


async def group_page(writer: WriterClient, database: str, k: int, group_id: str, latest: int) -> dict[str, Any] | None:
    """The group, its latest crashes, the frames it is keyed on, OS/release splits and 30 days of counts."""
    detail = triage.group_detail(await writer.query(triage.group_sql(database, group_id)),
                                 await writer.query(triage.latest_sql(database, group_id, latest)))
    if detail is None:
        return None
    since = (datetime.now(UTC) - timedelta(days=GROUP_DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    daily = spread.daily_by_group(await writer.query(spread.daily_sql(database, [group_id], since=since)))
    frames = detail["crashes"][0]["frames"] if detail["crashes"] else []
    return detail | {
        "group": spread.hide_small_installs(detail["group"], k),
        "min_installs": k,
        "signature": spread.signature_of(frames),
        "os": triage.records(await writer.query(spread.os_split_sql(database, group_id))),
        "releases": triage.records(await writer.query(spread.release_split_sql(database, group_id))),
        "daily_since": since.date().isoformat(),
        "daily": daily.get(group_id, []),
    }
