"""Printing query results: an aligned text table, or JSON Lines keyed by column name."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import msgspec

from storage.clickhouse.client import QueryResult


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def print_rows(result: QueryResult, fmt: str, out: TextIO = sys.stdout) -> None:
    if fmt == "json":
        for row in result.rows:
            out.write(msgspec.json.encode(dict(zip(result.columns, row, strict=True))).decode() + "\n")
        return
    cells = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(cells)} row{'s' if len(cells) != 1 else ''})\n")
