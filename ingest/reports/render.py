"""Report output: an aligned table, CSV, or one JSON object; suppressed cells read `<K` (text) or null (JSON)."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec

from ingest.reports.base import Report


def _text(report: Report, row: dict[str, Any], col: str) -> str:
    if col in row["suppressed"]:
        return f"<{report.min_installs}"
    value = row[col]
    return "" if value is None else value if isinstance(value, str) else msgspec.json.encode(value).decode()


def to_json(report: Report) -> str:
    return msgspec.json.encode(report).decode()


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows([_text(report, row, col) for col in report.columns] for row in report.rows)
    return out.getvalue()


def to_table(report: Report) -> str:
    cells = [[_text(report, row, col) for col in report.columns] for row in report.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(report.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(report.columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    hidden = sum(bool(row["suppressed"]) for row in report.rows)
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''}; {report.report} {report.since}..{report.until}"
                 f" from {report.source}; cells under {report.min_installs} installs suppressed: {hidden} row(s))")
    return "\n".join(lines) + "\n"


RENDER = {"table": to_table, "json": lambda report: to_json(report) + "\n", "csv": to_csv}
