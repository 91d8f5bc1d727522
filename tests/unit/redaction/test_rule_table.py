"""Every pattern compiles alone and in the joined alternation; every rule's examples hold both ways."""

from __future__ import annotations

import re

import pytest

from redact import Redactor
from redact.rules import DEFAULT_TOKENS, PATTERN_RULES, RULE_IDS

REDACTOR = Redactor()
POSITIVE = [(r.id, text) for r in PATTERN_RULES for text in r.matches]
NEGATIVE = [(r.id, text) for r in PATTERN_RULES for text in r.must_not_match]


def reported(rule_id: str) -> set[str]:
    rule = next(r for r in PATTERN_RULES if r.id == rule_id)
    return {rule.id, *rule.reports}


@pytest.mark.parametrize("rule", PATTERN_RULES, ids=lambda r: r.id)
def test_pattern_compiles_alone_and_documents_itself(rule):
    re.compile(rule.pattern, re.VERBOSE)
    assert rule.why and rule.matches and rule.must_not_match
    assert rule.id in DEFAULT_TOKENS


@pytest.mark.parametrize(("rule_id", "text"), POSITIVE)
def test_rule_finds_its_examples(rule_id, text):
    out = REDACTOR.redact_text(text, field="stacktrace")
    assert out.value != text
    assert reported(rule_id) & set(out.findings), out


@pytest.mark.parametrize(("rule_id", "text"), NEGATIVE)
def test_rule_leaves_its_counter_examples(rule_id, text):
    out = REDACTOR.redact_text(text, field="stacktrace")
    assert not reported(rule_id) & set(out.findings), out


def test_rule_ids_are_unique_stable_label_values():
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*", rid) for rid in RULE_IDS)
    # The redactor also reports the name finder's ids (redact.policy adds them after the rule table's).
    assert REDACTOR.rule_ids[: len(RULE_IDS)] == RULE_IDS
