"""Printing query results: an aligned text table, JSON Lines keyed by column name, or one column per line."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import msgspec

from storage.clickhouse.client import QueryResult

FORMATS = ("table", "json", "vertical")


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def print_rows(result: QueryResult, fmt: str, out: TextIO = sys.stdout) -> None:
    if fmt == "json":
        for row in result.rows:
            out.write(msgspec.json.encode(dict(zip(result.columns, row, strict=True))).decode() + "\n")
        return
    if fmt == "vertical":
        _vertical(result, out)
        return
    cells = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(cells)} row{'s' if len(cells) != 1 else ''})\n")


def _vertical(result: QueryResult, out: TextIO) -> None:
    """As clickhouse-client's FORMAT Vertical: a `Row N:` heading, then `column: value` lines."""
    width = max((len(c) for c in result.columns), default=0) + 1
    for index, row in enumerate(result.rows, 1):
        heading = f"Row {index}:"
        out.write(("\n" if index > 1 else "") + heading + "\n" + "─" * len(heading) + "\n")
        for column, value in zip(result.columns, row, strict=True):
            out.write(f"{column + ':':<{width}} {_cell(value)}".rstrip() + "\n")
