"""The alert rules (k8s/monitoring/consentry.rules.yml): promtool-clean, a unit test firing and not firing each
alert, identical to the PrometheusRule, a runbook section each, and only metrics ingest/metrics.py exports.

promtool comes with Debian's `prometheus` package, which .ci/run installs when missing; without it the promtool
tests skip and say so."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "k8s" / "monitoring"
RULES = MONITORING / "consentry.rules.yml"
RULE_TESTS = MONITORING / "consentry.rules.test.yml"
RUNBOOK = ROOT / "docs" / "runbook.md"
_SUFFIXES = ("_total", "_count", "_sum", "_bucket")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in _load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not installed (Debian package `prometheus`; .ci/run installs it when it can)")
    return found


def test_promtool_check_rules() -> None:
    done = subprocess.run([_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in done.stdout


def test_promtool_unit_tests_pass() -> None:
    done = subprocess.run([_promtool(), "test", "rules", str(RULE_TESTS.name)], cwd=MONITORING, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def _distinguishing(labels: dict[str, str]) -> tuple[str, ...]:
    return tuple(f"{k}={labels[k]}" for k in ("instance", "rule", "exported_job") if k in labels)


def test_every_alert_has_a_case_that_fires_and_series_that_do_not() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for case in _load(RULE_TESTS)["tests"]:
        series = [dict(re.findall(r'(\w+)="([^"]*)"', item["series"])) for item in case["input_series"]]
        for check in case["alert_rule_test"]:
            name, expected = check["alertname"], check.get("exp_alerts") or []
            if not expected:
                quiet.add(name)
                continue
            fires.add(name)
            # Series of the same case that no expected alert names (another instance, rule or job) must stay quiet.
            named = {_distinguishing(alert["exp_labels"]) for alert in expected}
            if any(_distinguishing(s) and not any(set(n) <= set(_distinguishing(s)) and n for n in named)
                   for s in series):
                quiet.add(name)
    names = {rule["alert"] for rule in _alerts()}
    assert names - fires == set(), "alerts no unit test fires"
    assert names - quiet == set(), "alerts with no series that must not fire them"


def test_prometheusrule_matches_the_rules_file() -> None:
    [doc] = [d for d in yaml.safe_load_all((MONITORING / "prometheusrule.yaml").read_text()) if d]
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    assert doc["spec"] == _load(RULES), "prometheusrule.yaml differs from consentry.rules.yml: copy the groups over"
    kustomization = _load(MONITORING / "kustomization.yaml")
    assert kustomization["resources"] == ["prometheusrule.yaml"]


def test_every_alert_has_labels_annotations_and_a_runbook_section() -> None:
    runbook = RUNBOOK.read_text(encoding="utf-8")
    headings = {line[3:].strip() for line in runbook.splitlines() if line.startswith("## ")}
    for rule in _alerts():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), name
        assert rule["annotations"]["runbook_url"] == f"docs/runbook.md#{name.lower()}", name
        assert name in headings, f"docs/runbook.md has no section ## {name}"
    assert "(runbook.md)" in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def _exported() -> set[str]:
    from ingest.metrics import Metrics

    return {metric.name for metric in Metrics().registry.collect()}


def _base(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def test_rules_use_only_exported_metrics() -> None:
    exported = _exported()
    for rule in _alerts():
        used = set(re.findall(r"\bconsentry_[a-z0-9_]+", rule["expr"]))
        assert used, rule["alert"]
        unknown = {name for name in used if _base(name) not in exported and name not in exported}
        assert not unknown, f"{rule['alert']} uses metrics the collector does not export: {unknown}"
