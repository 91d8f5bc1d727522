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


def test_explain_names_rules_and_ranges_never_the_removed_text():
    text = "Hi Sarah, mail bob@corp.com from /Users/alice/Documents/taxes 2025.pdf"
    proc = subprocess.run([sys.executable, "-m", "redact", "--explain", text], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].split() == ["name.cue", "3-8", "[person]"]
    assert lines[2].split() == ["email", "15-27", "[email]"]
    assert lines[-1] == "redacted: Hi [person], mail [email] from ~/Documents/[file].pdf"
    for secret in ("Sarah", "bob@corp.com", "alice", "taxes"):
        assert secret not in proc.stdout + proc.stderr


def test_explain_reads_stdin_and_takes_a_field():
    proc = subprocess.run([sys.executable, "-m", "redact", "--explain", "--field", "search_term"],
                          input="divorce lawyers near me", capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stdout.splitlines()[1].split() == ["content", "0-23", "[content:23", "chars]"]
    assert "divorce" not in proc.stdout


def test_explain_remarks_map_every_change_back_to_its_rule():
    from redact import Redactor

    text = "peer 10.0.0.7 and ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 by Daniel Wren"
    redacted, remarks = Redactor().explain(text)
    assert [(r.rules, text[r.start : r.end].startswith(("10.", "ghp_", "Daniel"))) for r in remarks] == [
        (("ip.v4",), True), (("secret.github",), True), (("name.pair",), True)]
    assert all(r.replacement in redacted for r in remarks)
