"""`python -m redact`: JSON Lines in, JSON Lines out, in order; bad policies and lines are clear errors."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]


def run(lines, *args):
    return subprocess.run([sys.executable, "-m", "redact", *args], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_lines_in_order_with_findings():
    lines = [json.dumps({"text": "mail bob@corp.com"}), json.dumps({"text": "split"}),
             json.dumps({"text": "hunter2", "field": "password"})]
    proc = run(lines)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out == [{"text": "mail [email]", "findings": {"email": 1}}, {"text": "split", "findings": {}},
                   {"text": "[removed]", "findings": {"key.sensitive": 1}}]


def test_bad_line_is_reported_without_echoing_it_and_the_rest_continues():
    proc = run(['{"txt": "alice@example.com"}', json.dumps({"text": "8.8.8.8"})])
    assert proc.returncode == 1
    assert "line 1" in proc.stderr and "alice" not in proc.stderr
    assert json.loads(proc.stdout) == {"text": "[ip]", "findings": {"ip.v4": 1}}


def test_bad_policy_exits_2_naming_the_key(tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_text("rules = { nope = true }")
    proc = run([], "--policy", str(policy))
    assert proc.returncode == 2 and "rules.nope" in proc.stderr
