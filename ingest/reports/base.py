"""What a report is (parameters, SQL, guarded cells) and how one runs from SQL result to suppressed rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from ingest.reports.kanon import suppress
from ingest.reports.params import Params
from storage.clickhouse.client import QueryResult

Rows = list[dict[str, Any]]


class Spec(msgspec.Struct, frozen=True):
    name: str
    params: frozenset[str]  # besides since, until, release, format
    build: Callable[[Params, str], str]  # (params, database) -> SQL
    columns: Callable[[Params], list[str]]  # shown, in order
    guards: dict[str, tuple[str, ...]]  # shown column -> the install counts that must each reach K
    hidden: tuple[str, ...] = ()  # support columns used for guarding, never shown
    finish: Callable[[Rows, Params], Rows] | None = None  # derived cells, computed before suppression
    raw_only: bool = False  # reads events rows; False: rollups unless source=raw
    # False for parameters the rollups cannot answer: registry.prepare then reads raw rows (source=raw).
    rollup_answers: Callable[[Params], bool] | None = None


class Report(msgspec.Struct, frozen=True):
    report: str
    source: str
    min_installs: int
    since: str
    until: str
    interval: str
    columns: list[str]
    rows: Rows


def assemble(spec: Spec, params: Params, result: QueryResult, k: int) -> Report:
    rows: Rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    if spec.finish is not None:
        rows = spec.finish(rows, params)
    guards = {col: support for col, support in spec.guards.items() if col in spec.columns(params)}
    source = "raw" if spec.raw_only else params.source
    return Report(spec.name, source, k, params.since.isoformat(), params.until.isoformat(), params.interval,
                  spec.columns(params), suppress(rows, guards, k, spec.hidden))
