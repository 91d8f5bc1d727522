"""The benchmarks are not run by the suite (they are long and pair against references), but they import the
project's modules by name: a layout change that moves one must not silently break them. Every top-level
`from X import Y` in bench/ must resolve (imports inside functions are optional peers, e.g. sentry_relay)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _top_level_imports(path: Path) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_bench_imports_resolve(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # benches import their siblings (deletions_store, rawhttp, …)
    # and the redaction benches the adversarial seeds the linear-time test is built from (their own sys.path line)
    monkeypatch.syspath_prepend(str(BENCH.parent / "tests" / "unit" / "redaction"))
    for module_name, name in _top_level_imports(path):
        module = importlib.import_module(module_name)
        if name is not None and not hasattr(module, name):
            importlib.import_module(f"{module_name}.{name}")  # a submodule; raises if it is neither
