"""The fast tier: all enabled pattern rules joined into one compiled alternation, applied in one pass."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from redact.rules import PATTERN_RULES, Context, Rule
from redact.rules.base import anonymous


class Engine:
    """Compiled once per Redactor; `scan` rewrites one string and counts findings into a Context."""

    def __init__(self, enabled: frozenset[str], tokens: Mapping[str, str], code_markers: Iterable[str]) -> None:
        active = [r for r in PATTERN_RULES if r.id in enabled or any(x in enabled for x in r.reports)]
        self.rules: dict[str, Rule] = {f"r{i}": r for i, r in enumerate(active)}
        self._by_id = {r.id: r for r in active}
        joined = "|".join(f"(?P<{g}>{anonymous(r.pattern)})" for g, r in self.rules.items())
        self._regex = re.compile(joined or r"(?!)", re.VERBOSE)
        inner = "|".join(
            f"(?P<{g}>{anonymous(r.pattern)})" for g, r in self.rules.items() if not r.id.startswith("path.")
        )
        self._inner = re.compile(inner or r"(?!)", re.VERBOSE)
        self.enabled = enabled
        self.tokens = dict(tokens)
        self.code_markers = tuple(code_markers)

    def context(self) -> Context:
        return Context(self.tokens, self.enabled, self.code_markers, self._rescan, self._inner_scan)

    def scan(self, text: str, ctx: Context, regex: re.Pattern[str] | None = None) -> str:
        def replace(m: re.Match[str]) -> str:
            found = m.group()
            out = apply_rule(self.rules[m.lastgroup or ""], found, ctx)
            return found if out is None else out

        ctx.depth += 1
        try:
            out = (regex or self._regex).sub(replace, text)
        finally:
            ctx.depth -= 1
        return propagate(out, ctx) if ctx.depth == 0 and ctx.learned else out

    def _inner_scan(self, text: str, ctx: Context) -> str:
        return self.scan(text, ctx, self._inner) if text else text

    def apply(self, rule_id: str, text: str, ctx: Context) -> str | None:
        """Apply one rule to a span another matcher found (the deep tier's recognizers)."""
        rule = self._by_id.get(rule_id)
        return None if rule is None else apply_rule(rule, text, ctx)

    def _rescan(self, text: str, ctx: Context) -> str:
        return self.scan(text, ctx) if text else text


def apply_rule(rule: Rule, found: str, ctx: Context) -> str | None:
    """The replacement for one match, or None when the match is not a finding after all."""
    if rule.id not in ctx.enabled and not rule.reports:
        return None
    if rule.rewrite is not None:
        return rule.rewrite(found, ctx)
    if rule.validate is not None and not rule.validate(found):
        return None
    return ctx.hit(rule.id)


def propagate(text: str, ctx: Context) -> str:
    """Remove the other occurrences of names the rules learned (one pass over a literal alternation).

    A user name found in a prompt or a home path is as personal in a branch name, a repository URL or a
    "denied to <name>" line; whole words only, exact case, so a name that is also part of a longer word stays.
    """
    names = sorted(ctx.learned, key=len, reverse=True)  # longest first: "alice-dev" before "alice"
    regex = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, names)) + r")(?![\w])")

    def replace(m: re.Match[str]) -> str:
        return ctx.hit(ctx.learned[m.group()])

    return regex.sub(replace, text)
