"""`consentry query`: a trailing FORMAT clause picks the output (never reaching the engine); the vertical table;
library loggers stay at WARNING unless --verbose."""

from __future__ import annotations

import io
import logging

import pytest

from ingest.cli import _logging
from ingest.cli.output import print_rows
from ingest.cli.query import FormatError, split_format
from storage.clickhouse.client import QueryResult


@pytest.mark.parametrize(("sql", "stripped", "fmt"), [
    ("SELECT 1 FORMAT Vertical", "SELECT 1", "vertical"),
    ("SELECT 1\nformat jsoneachrow;", "SELECT 1", "json"),
    ("SELECT 1 FORMAT PrettyCompact ", "SELECT 1", "table"),
    ("SELECT 1", "SELECT 1", None),
    ("SELECT 'x FORMAT Vertical'", "SELECT 'x FORMAT Vertical'", None),  # inside a string: not a clause
    ("SELECT format", "SELECT format", None),
])
def test_trailing_format_clause_is_split_off(sql: str, stripped: str, fmt: str | None) -> None:
    assert split_format(sql) == (stripped, fmt)


def test_a_format_not_offered_is_refused_naming_the_ones_that_are() -> None:
    with pytest.raises(FormatError, match="FORMAT CSV is not offered.*Vertical.*--format table|json|vertical"):
        split_format("SELECT 1 FORMAT CSV")


def test_vertical_prints_one_column_per_line() -> None:
    out = io.StringIO()
    print_rows(QueryResult(["id", "name"], [[1, "a"], [2, "bb"]]), "vertical", out)
    assert out.getvalue() == ("Row 1:\n──────\nid:   1\nname: a\n\nRow 2:\n──────\nid:   2\nname: bb\n")


def test_library_loggers_stay_at_warning_unless_verbose(monkeypatch: pytest.MonkeyPatch) -> None:
    root, own = logging.getLogger(), [logging.getLogger(name) for name in ("consentry", "redact")]
    levels = [logger.level for logger in (root, *own)]
    monkeypatch.setattr(root, "handlers", [])  # basicConfig acts only on a root without handlers
    try:
        _logging(verbose=False)
        assert not logging.getLogger("presidio-analyzer").isEnabledFor(logging.INFO)
        assert logging.getLogger("consentry.serve").isEnabledFor(logging.INFO)
        root.handlers.clear()
        _logging(verbose=True)
        assert logging.getLogger("presidio-analyzer").isEnabledFor(logging.INFO)
    finally:
        for logger, level in zip((root, *own), levels, strict=True):
            logger.setLevel(level)
