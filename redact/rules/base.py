"""The rule type every family module declares its patterns with, and the per-call context rules write to."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# A rewrite gets the matched text and the call's context; it returns the replacement,
# or None when the match turns out not to be a finding (a checksum failed, a loopback IP).
Rewrite = Callable[[str, "Context"], "str | None"]
Validator = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One named pattern: what it finds, what replaces it, and examples proving both ways.

    `pattern` is written for re.VERBOSE and must carry no inline global flags (rules are
    joined into one alternation); scope case-insensitivity with `(?i:...)`.
    """

    id: str
    token: str
    pattern: str
    why: str
    validate: Validator | None = None
    rewrite: Rewrite | None = None
    # Other rule ids this rule's rewrite may report (paths report path.user and path.file).
    reports: tuple[str, ...] = ()
    matches: tuple[str, ...] = ()
    must_not_match: tuple[str, ...] = ()
    # A regex found (re.search, no flags) in every text the pattern matches anywhere in: a text without it skips
    # the rule (the engine scans only the rules that can match). None: always scanned. Checked by
    # tests/unit/redaction/test_linear_time.py against the examples, both corpora and mixtures of them.
    needs: str | None = None


@dataclass(slots=True)
class Context:
    """State of one redaction call: tokens, enabled rules and the findings counted so far."""

    tokens: Mapping[str, str]
    enabled: frozenset[str]
    code_markers: tuple[str, ...]
    rescan: Callable[[str, Context], str]
    # Scans with every rule except the path rules: for the pieces inside a path (hosts, e-mails).
    inner: Callable[[str, Context], str]
    findings: dict[str, int] = field(default_factory=dict)
    in_url: bool = False
    # Account and machine names found by structure (a prompt, a home path, a log line), with the rule that
    # found them: their other occurrences in the same text go too (a branch named after the user, a repo URL).
    learned: dict[str, str] = field(default_factory=dict)
    depth: int = 0
    # Is this decoded text a person's name ("Amina Juma")? Set by the Redactor from its name finder.
    person: Callable[[str], bool] | None = None
    # The value is a telemetry property (not free crash text): a code host's owner in a URL is the user's account
    # when the handle is made of a person's names; `owner` says the field names the user's own repository, so the
    # owner goes whatever its shape.
    telemetry: bool = False
    owner: bool = False

    def hit(self, rule_id: str, n: int = 1) -> str:
        """Count a finding and return the rule's replacement token."""
        self.findings[rule_id] = self.findings.get(rule_id, 0) + n
        return self.tokens[rule_id]

    def on(self, rule_id: str) -> bool:
        return rule_id in self.enabled

    def learn(self, name: str, rule_id: str) -> None:
        """Remember a name a rule removed so the engine removes it wherever else it occurs."""
        if len(name) >= MIN_LEARNED and rule_id in self.enabled and len(self.learned) < MAX_LEARNED:
            self.learned.setdefault(name, rule_id)


MIN_LEARNED = 3  # shorter names ("jo", "li") occur inside too many unrelated words
MAX_LEARNED = 64

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def anonymous(pattern: str) -> str:
    """Turn named groups into plain groups so many rules can share one alternation."""
    return _NAMED_GROUP.sub("(?:", pattern)
