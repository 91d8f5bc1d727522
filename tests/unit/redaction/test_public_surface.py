"""The public surface is what __init__ exports; the package stays pure (no collector or storage imports)."""

from __future__ import annotations

import ast
import inspect
import pathlib

import redact
from redact import Redactor

PACKAGE = pathlib.Path(redact.__file__).parent


def test_exports():
    assert sorted(redact.__all__) == ["Policy", "PolicyError", "Redacted", "Redactor", "Tier", "load_policy"]
    for name in redact.__all__:
        assert getattr(redact, name) is not None


def test_collector_contract_signatures():
    def sig(fn):
        return str(inspect.signature(fn)).replace("'", "")

    text_sig = "(self, text: str, *, field: str | None = None, tier: Tier = fast) -> Redacted[str]"
    value_sig = "(self, value: Any, *, field: str | None = None, tier: Tier = fast) -> Redacted[Any]"
    mapping_sig = "(self, mapping: Mapping[str, Any], *, tier: Tier = fast) -> Redacted[dict[str, Any]]"
    assert (sig(Redactor.redact_text), sig(Redactor.redact_value), sig(Redactor.redact_mapping)) == (
        text_sig, value_sig, mapping_sig)
    assert isinstance(Redactor().rule_ids, tuple)


def test_no_io_and_no_dependency_on_the_collector():
    banned = {"ingest", "storage", "socket", "urllib", "requests", "httpx", "aiohttp"}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & banned, path


def test_modules_stay_small():
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path
