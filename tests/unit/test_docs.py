"""The reference pages generated from the code are current; every setting is documented at its declaration."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import docgen
from ingest.errors import REFUSALS
from ingest.settings import setting_names

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("page", sorted(docgen.PAGES))
def test_generated_page_is_current(page: str) -> None:
    shipped = (ROOT / page).read_text(encoding="utf-8")
    assert shipped == docgen.PAGES[page](), f"{page} is stale: run `{docgen.REGENERATE}` and commit it"


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    for page, render in docgen.PAGES.items():
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text(render(), encoding="utf-8")
    assert docgen.stale(tmp_path) == []
    (tmp_path / "docs/reference/refusals.md").write_text("hand-edited\n", encoding="utf-8")
    assert docgen.stale(tmp_path) == ["docs/reference/refusals.md"]


def test_every_setting_has_a_row_with_its_environment_name() -> None:
    page = docgen.settings_page()
    for env, key in setting_names().items():
        assert f"| `{key}` |" in page and f"`{env}`" in page, key


def test_every_refusal_has_a_row() -> None:
    page = docgen.refusals_page()
    for code, (status, _) in REFUSALS.items():
        assert f"| {status} | `{code}` |" in page, code


def test_an_undocumented_setting_stops_generation() -> None:
    import msgspec
    import msgspec.inspect as mi

    class Bare(msgspec.Struct):
        knob: int = 1

    info = mi.type_info(Bare)
    assert isinstance(info, mi.StructType)
    with pytest.raises(ValueError, match="knob has no documentation"):
        docgen._leaf_rows([("bare.knob", info.fields[0])])
