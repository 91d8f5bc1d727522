"""The fast tier: all enabled pattern rules joined into one compiled alternation, applied in one pass."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from redact.rules import PATTERN_RULES, Context, Rule
from redact.rules.base import anonymous

# Rewrites scan what they contain (a URL's query values, a path's segments), which may hold more of the
# same; real text nests a few levels, a hostile value thousands (each level rescans the rest: quadratic).
MAX_NESTING = 12
# Rule sets compiled for texts that lack some rules' needs (a compile costs about 1 ms per rule, once). Beyond
# this many compiled sets, a text with yet another combination is scanned with all rules: the same output, only
# slower.
MAX_SUBSETS = 64


class Engine:
    """Compiled once per Redactor; `scan` rewrites one string and counts findings into a Context."""

    def __init__(self, enabled: frozenset[str], tokens: Mapping[str, str], code_markers: Iterable[str]) -> None:
        active = [r for r in PATTERN_RULES if r.id in enabled or any(x in enabled for x in r.reports)]
        self.rules: dict[str, Rule] = {f"r{i}": r for i, r in enumerate(active)}
        self._by_id = {r.id: r for r in active}
        # The rule name is an empty group closing each alternative, not a group around it: a branch that starts
        # with a literal or a character class is then skipped by the regex engine at a glance where it cannot match.
        self._alternatives = {g: f"(?:{anonymous(r.pattern)})(?P<{g}>)" for g, r in self.rules.items()}
        self._compiled: dict[frozenset[str], re.Pattern[str]] = {}
        self._regex = self._without(frozenset())
        # Rules that can match only in a text holding their `needs`: a text without it is scanned without them.
        # Every alternative is tried at every position, so the fewer rules, the faster: most texts lack most needs.
        self._needs = tuple((g, re.compile(r.needs)) for g, r in self.rules.items() if r.needs is not None)
        # Pieces inside a path (hosts, e-mails) are scanned with every rule except the path rules.
        self._no_paths = frozenset(g for g, r in self.rules.items() if r.id.startswith("path."))
        self._without(self._no_paths)
        self.enabled = enabled
        self.tokens = dict(tokens)
        self.code_markers = tuple(code_markers)
        # Is a decoded value a person's full name? The Redactor sets it from its name finder (URL query values).
        self.person: Callable[[str], bool] | None = None

    def _without(self, skip: frozenset[str]) -> re.Pattern[str]:
        """The joined alternation minus some rules, compiled on first use and kept (`_pattern` bounds the sets)."""
        regex = self._compiled.get(skip)
        if regex is None:
            joined = "|".join(alt for g, alt in self._alternatives.items() if g not in skip)
            regex = self._compiled[skip] = re.compile(joined or r"(?!)", re.VERBOSE)
        return regex

    def _pattern(self, skip: frozenset[str], absent: frozenset[str]) -> re.Pattern[str]:
        """The alternation for a text: without the skipped rules and without those whose needs it lacks."""
        if absent <= skip:
            return self._without(skip)
        key = skip | absent
        if key not in self._compiled and len(self._compiled) >= MAX_SUBSETS:
            return self._without(skip)
        return self._without(key)

    def _absent(self, text: str) -> frozenset[str]:
        """The rules that cannot match anywhere in text: their needs occur nowhere in it."""
        return frozenset(g for g, needs in self._needs if needs.search(text) is None)

    def context(self) -> Context:
        return Context(self.tokens, self.enabled, self.code_markers, self._rescan, self._inner_scan,
                       person=self.person)

    def scan(self, text: str, ctx: Context, skip: frozenset[str] = frozenset()) -> str:
        if ctx.depth >= MAX_NESTING:  # a URL in a query value in a URL ...: hostile input, fail closed
            return ctx.hit("limit.depth") if "limit.depth" in ctx.enabled else ""
        ctx.depth += 1
        try:
            out = self._sub(text, ctx, skip, self._absent(text), 0, len(text))
        finally:
            ctx.depth -= 1
        return propagate(out, ctx) if ctx.depth == 0 and ctx.learned else out

    def _sub(self, text: str, ctx: Context, skip: frozenset[str], absent: frozenset[str], start: int,
             end: int) -> str:
        """Rewrite text[start:end]. A span a rule's validator turns down (a word that is not random, a version
        that is not an IP) is scanned again by the other rules, with its surroundings still visible to their
        lookarounds: what it held is not hidden by the rule that declined it. Each level drops one rule,
        so the work stays linear."""
        parts: list[str] = []
        last = start
        for m in self._pattern(skip, absent).finditer(text, start, end):
            group = m.lastgroup or ""
            rule = self.rules[group]
            new = apply_rule(rule, m.group(), ctx)
            if new is None:
                if rule.validate is None:
                    continue
                new = self._sub(text, ctx, skip | {group}, absent, m.start(), m.end())
            parts.append(text[last : m.start()])
            parts.append(new)
            last = m.end()
        if not parts:
            return text[start:end] if start or end != len(text) else text
        parts.append(text[last:end])
        return "".join(parts)

    def _inner_scan(self, text: str, ctx: Context) -> str:
        return self.scan(text, ctx, self._no_paths) if text else text

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
