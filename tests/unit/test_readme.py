"""The README documents every refusal code and every setting the code knows."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import REFUSALS
from ingest.settings import setting_names

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_refusal_code_is_documented() -> None:
    for code, (status, _) in REFUSALS.items():
        assert f"| {status} | `{code}` |" in README, code


def test_every_setting_is_documented() -> None:
    for env, key in setting_names().items():
        assert f"| `{key}` | `{env}` |" in README, key


def test_every_metric_is_documented() -> None:
    from ingest.metrics import Metrics

    for metric in Metrics().registry.collect():
        assert f"`{metric.name}" in README, metric.name
