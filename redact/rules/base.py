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

    def hit(self, rule_id: str, n: int = 1) -> str:
        """Count a finding and return the rule's replacement token."""
        self.findings[rule_id] = self.findings.get(rule_id, 0) + n
        return self.tokens[rule_id]

    def on(self, rule_id: str) -> bool:
        return rule_id in self.enabled


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def anonymous(pattern: str) -> str:
    """Turn named groups into plain groups so many rules can share one alternation."""
    return _NAMED_GROUP.sub("(?:", pattern)
