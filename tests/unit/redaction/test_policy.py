"""Policies: defaults, overrides from TOML/JSON, and fail-closed errors that name the key."""

from __future__ import annotations

import json

import pytest

from redact import Policy, PolicyError, Redactor, load_policy


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_toml_overrides_apply(tmp_path):
    path = write(tmp_path, "p.toml", """
rules = { email = false }
tokens = { "ip.v4" = "<ip>", content = "<{n} chars of content>" }
code_locations = ["/opt/acme/lib/"]
sensitive_keys = ["customer_ref"]
free_text_fields = ["label"]
""")
    r = Redactor(load_policy(path))
    assert r.redact_text("a@b.example 8.8.8.8").value == "a@b.example <ip>"
    assert r.redact_text("/opt/acme/lib/x/report.pdf").value == "/opt/acme/lib/x/report.pdf"
    assert r.redact_mapping({"customer_ref": "C-1"}).value == {"customer_ref": "[removed]"}
    prose = "this is a long sentence that a person typed into the label box of the app today"
    assert r.redact_text(prose, field="label").value == prose
    assert r.redact_text(prose, field="note").value == f"<{len(prose)} chars of content>"


def test_json_policy(tmp_path):
    path = write(tmp_path, "p.json", json.dumps({"rules": {"phone": False}, "max_depth": 4}))
    policy = load_policy(path)
    assert policy.max_depth == 4 and "phone" not in policy.enabled()


@pytest.mark.parametrize(
    ("name", "text", "key"),
    [
        ("a.toml", "rules = { emial = false }", "rules.emial"),
        ("b.toml", 'tokens = { "nope.rule" = "x" }', "tokens.nope.rule"),
        ("c.toml", "colour = 1", "colour"),
        ("d.toml", 'rules = { email = "yes" }', "rules.email"),
        ("e.json", '{"max_depth": 0}', "max_depth"),
        ("f.toml", "rules = [", "TOML"),
        ("g.json", '{"code_locations": ["/"]}', "code_locations[0]"),
    ],
)
def test_bad_policies_fail_closed_naming_the_key(tmp_path, name, text, key):
    with pytest.raises(PolicyError, match=key.replace(".", r"\.").replace("[", r"\[")):
        load_policy(write(tmp_path, name, text))


def test_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.toml")


def test_policy_built_in_code_is_checked_too():
    with pytest.raises(PolicyError, match="rules.bogus"):
        Redactor(Policy(rules={"bogus": False}))


def test_disabling_a_rule_keeps_its_matches():
    r = Redactor(Policy(rules={"path.home": False, "path.user": False, "path.file": False}))
    assert r.redact_text("/Users/alice/x.pdf").value == "/Users/alice/x.pdf"
