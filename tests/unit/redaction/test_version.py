"""REDACTION_VERSION must move whenever the rules do: the recorded fingerprint of the rule files must match."""

from __future__ import annotations

import hashlib
from pathlib import Path

from redact.version import REDACTION_VERSION, RULES_FINGERPRINT

ROOT = Path(__file__).resolve().parents[3] / "redact"
# Files in redact/ that decide nothing about what is removed: the version itself, the command line, the
# explanation of a result, the generator of names.txt (names.txt itself counts), and the docs.
NOT_RULES = {"version.py", "__main__.py", "explain.py", "README.md", "data/generate_names.py"}


def rule_files() -> list[Path]:
    found = [*ROOT.glob("*.py"), *ROOT.glob("rules/*.py"), *(p for p in ROOT.glob("data/*") if p.is_file())]
    return sorted((p for p in found if p.relative_to(ROOT).as_posix() not in NOT_RULES),
                  key=lambda p: p.relative_to(ROOT).as_posix())


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in rule_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_fingerprint_covers_the_rules_the_engine_and_its_data() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in rule_files()}
    assert {"redactor.py", "engine.py", "policy.py", "rules/paths.py", "data/fields.toml", "data/names.txt"} <= names
    assert not names & NOT_RULES


def test_rules_changed_without_a_version_bump() -> None:
    assert REDACTION_VERSION >= 1, "version 0 means 'stored before versioning'"
    current = fingerprint()
    assert RULES_FINGERPRINT == current, (
        f"rules changed: bump REDACTION_VERSION and update the fingerprint "
        f"(redact/version.py: REDACTION_VERSION = {REDACTION_VERSION + 1}, RULES_FINGERPRINT = {current!r})")
