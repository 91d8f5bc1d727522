"""Wire-format JSON Schemas are generated from the msgspec types and must not drift."""

from __future__ import annotations

from importlib import resources

import pytest

from ingest.schema import SCHEMAS, render


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_file_matches_the_types(name: str) -> None:
    on_disk = (resources.files("schemas") / name).read_bytes()
    assert on_disk == render(SCHEMAS[name]), f"schemas/{name} drifted: run `python -m ingest.schema`"
