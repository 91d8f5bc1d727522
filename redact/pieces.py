"""Each fast-tier rule cut into pieces that Python's regex engine can skip through (issue 18, item 3).

`re` searches fast only for a pattern that starts with a literal or a character class: it skips to where that
character occurs and tries the pattern only there. A pattern that starts with a lookbehind, a group or an
alternation of words is tried at every position of the text. `pieces` rewrites a rule into an ordered tuple of
patterns with the rule's matches, each starting with a character (class):

- an alternation or an optional part at the start is distributed: `(?:A|B)C` becomes the pieces AC then BC,
  `X?Y` becomes XY then Y (a lazy `X??Y`: Y then XY), `X{2,5}Y` becomes `XX{1,4}Y`. At one position the regex
  engine tries the original's ways in exactly this order, so the first piece matching there gives the match the
  rule gives there;
- assertions before the first character are tested one character later: `(?<![\\w-])sk-` becomes
  `s(?<=(?<![\\w-]).)k-`. A case-insensitive first character is looked for through a class holding both cases
  and every non-ASCII character, and tested again the same way.

Each piece also carries literals one of which occurs in every text the piece matches in (lookarounds
included): a text holding none of them skips the piece without a search. Only the matches count, never the
groups: a rule's groups are dropped (the engine reads the whole match and which rule made it).
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # the parser's op codes (no public API)
import re._parser as sre_parse  # type: ignore[import-not-found]
from dataclasses import dataclass
from typing import Any

from redact.retree import ONE_CHAR, REPEATS, Item, flagged, seq, supported, text

# A rule distributed into more pieces than this is kept whole (still correct, only searched more slowly).
MAX_PIECES = 400
_ANY_NON_ASCII = (sre.RANGE, (0x80, 0x10FFFF))
_ANY_CHAR = (sre.SUBPATTERN, (None, re.DOTALL, 0, sre_parse.SubPattern(sre_parse.State(), [(sre.ANY, None)])))


@dataclass(slots=True)
class Piece:
    """One ordered part of a rule: its pattern, and literals one of which every text it matches in holds."""

    pattern: str
    # The first character's class (what `re` skips to): a text position not matching it cannot start a match.
    head: str
    # None: no such literals were found (the piece is searched in every text).
    literals: tuple[str, ...] | None
    # The literals are lower case, to look for in the lower-cased text (ASCII texts only; others are searched).
    folded: bool
    # The piece can match only at the start of the text (\A first).
    anchored: bool
    # How far before the position it tries its lookbehinds can look (the text it reads starts that far back).
    behind: int
    _regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        """Compiled on first use: a short text is scanned with all pieces joined, never with one alone."""
        if self._regex is None:
            self._regex = re.compile(self.pattern)
        return self._regex


def pieces(pattern: str, flags: int = re.VERBOSE) -> tuple[Piece, ...]:
    """The rule's pattern as ordered pieces; a rule that cannot be cut stays one piece (its own pattern)."""
    tree = sre_parse.parse(pattern, flags)
    if tree.getwidth()[0] == 0:
        raise ValueError(f"a rule must not match empty text: {pattern!r}")
    if not supported(tree.data):
        return (_piece(list(tree.data), list(tree.data)),)
    cut = _distribute(list(tree.data), 0)
    if cut is None:
        return (_piece(list(tree.data), list(tree.data)),)
    return tuple(_piece(items, _front(items, flags)) for items, flags in cut)


# -- distribution ------------------------------------------------------------------------------------------


def _distribute(items: list[Item], flags: int, budget: list[int] | None = None) -> list[tuple[list[Item], int]] | None:
    """Ordered alternatives of `items` (a sequence) that each start, after zero-width assertions, with one
    character or one flagged character. None when there would be more than MAX_PIECES."""
    budget = budget if budget is not None else [MAX_PIECES]
    i = 0
    while i < len(items) and _zero_width(items[i]):
        i += 1
    if i == len(items):
        return _one(items, flags, budget)
    lead, (op, av), rest = items[:i], items[i], items[i + 1 :]
    if op in ONE_CHAR:
        return _one(items, flags, budget)
    if op is sre.BRANCH:
        out: list[tuple[list[Item], int]] = []
        for alt in av[1]:
            got = _distribute(lead + list(alt.data) + rest, flags, budget)
            if got is None:
                return None
            out.extend(got)
        return out
    if op is sre.SUBPATTERN:
        _group, add, delete, sub = av
        if not add and not delete:
            return _distribute(lead + list(sub.data) + rest, flags, budget)
        inner = list(sub.data)
        if len(inner) == 1 and inner[0][0] in ONE_CHAR:
            return _one(items, flags, budget)  # a flagged character, e.g. (?i:b)
        # (?i:abc) is (?i:a)(?i:b)(?i:c): a flag scopes what it encloses, nothing else.
        return _distribute(lead + [_push(x, add, delete) for x in inner] + rest, flags, budget)
    if op in REPEATS:
        lo, hi, body = av
        if hi == 0:
            return _distribute(lead + rest, flags, budget)
        if body.getwidth()[0] == 0 or (op is sre.POSSESSIVE_REPEAT and (lo == 0 or not _single(body))):
            return _one(items, flags, budget)  # a possessive repeat never gives back: only its first round unrolls
        fewer = [] if hi == 1 else [(op, (max(lo - 1, 0), hi if hi == sre.MAXREPEAT else hi - 1, body))]
        once = lead + list(body.data) + fewer + rest
        if lo >= 1:  # the first round is not optional: unroll it
            return _distribute(once, flags, budget)
        skip = lead + rest
        order = [skip, once] if op is sre.MIN_REPEAT else [once, skip]
        out = []
        for alt in order:
            got = _distribute(alt, flags, budget)
            if got is None:
                return None
            out.extend(got)
        return out
    return _one(items, flags, budget)


def _one(items: list[Item], flags: int, budget: list[int]) -> list[tuple[list[Item], int]] | None:
    budget[0] -= 1
    return [(items, flags)] if budget[0] >= 0 else None


def _zero_width(item: Item) -> bool:
    op, av = item
    if op is sre.SUBPATTERN and len(av[3].data) == 1:
        return _zero_width(av[3].data[0])
    return bool(op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT))


def _push(item: Item, add: int, delete: int) -> Item:
    """`item` under the flags (add, delete), with the flags moved inside an alternation, a repeat or a group."""
    op, av = item
    if op is sre.BRANCH:
        return (sre.BRANCH, (None, [seq([flagged(list(alt.data), add, delete)]) for alt in av[1]]))
    if op in REPEATS:
        lo, hi, body = av
        return (op, (lo, hi, seq([flagged(list(body.data), add, delete)])))
    if op is sre.SUBPATTERN:
        _group, add2, delete2, sub = av
        gone = delete2 | (delete & ~add2)  # the inner group's flags win over the outer ones
        return flagged(list(sub.data), (add | add2) & ~gone, gone)
    return flagged([item], add, delete)


def _single(body: Any) -> bool:
    return len(body.data) == 1 and body.data[0][0] in ONE_CHAR


# -- the first character in front -------------------------------------------------------------------------


def _front(items: list[Item], flags: int) -> list[Item]:
    """Put the first character before the assertions that precede it (tested again in a lookbehind)."""
    i = 0
    while i < len(items) and _zero_width(items[i]):
        i += 1
    if i == len(items):
        return items
    lead, first, rest = items[:i], items[i], items[i + 1 :]
    head = _findable(first)
    if head is first and not lead:
        return items
    if head is None:
        return items
    if any(op is sre.AT and av is sre.AT_BEGINNING_STRING for op, av in lead):
        return items  # matches only at the start: _piece marks it anchored
    # The lookbehind tests the assertions at the character's place; the character itself only if `head` is wider.
    again = _ANY_CHAR if head is first else first
    return [head, (sre.ASSERT, (-1, seq(lead + [again])))] + rest


def _findable(first: Item) -> Item | None:
    """The first character as `re` can skip to it: itself, a case-blind class holding it, or None (any char)."""
    op, av = first
    if op in (sre.LITERAL, sre.IN, sre.NOT_LITERAL):
        return first
    if op is sre.SUBPATTERN:
        _group, add, delete, sub = av
        (inner_op, inner_av), = sub.data
        if not add & re.IGNORECASE:
            return first if inner_op in (sre.LITERAL, sre.IN) else None
        if inner_op is sre.LITERAL:
            return (sre.IN, [*_both_cases(sre.LITERAL, inner_av), _ANY_NON_ASCII])
        if inner_op is sre.IN and all(o is not sre.NEGATE for o, _a in inner_av):
            return (sre.IN, [*(x for o, a in inner_av for x in _both_cases(o, a)), _ANY_NON_ASCII])
    return None


def _both_cases(op: Any, av: Any) -> list[Item]:
    """A class member and its other ASCII case (non-ASCII letters are all in the class `_findable` builds)."""
    if op is sre.LITERAL:
        chars = {av} | {ord(c) for c in (chr(av).lower(), chr(av).upper()) if len(c) == 1 and c.isascii()}
        return [(sre.LITERAL, c) for c in sorted(chars)]
    if op is sre.RANGE:
        lo, hi = av
        out = [(op, av)]
        for first, last, shift in ((0x41, 0x5A, 0x20), (0x61, 0x7A, -0x20)):  # A-Z <-> a-z
            a, b = max(lo, first), min(hi, last)
            if a <= b:
                out.append((sre.RANGE, (a + shift, b + shift)))
        return out
    return [(op, av)]


def _behind(items: list[Item]) -> int:
    """How far back from where `items` start matching a lookbehind in them can read (the widest, nested)."""
    reach = 0
    for op, av in items:
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, body = av
            inner = _behind(list(body.data))
            reach = max(reach, body.getwidth()[1] + inner if direction == -1 else inner)
        elif op is sre.BRANCH:
            reach = max([reach, *(_behind(list(alt.data)) for alt in av[1])])
        elif op is sre.SUBPATTERN:
            reach = max(reach, _behind(list(av[3].data)))
        elif op in REPEATS:
            reach = max(reach, _behind(list(av[2].data)))
    return reach


# -- literals every match needs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Needs:
    strings: frozenset[str]
    folded: bool

    def score(self) -> tuple[int, int]:
        return min(map(len, self.strings)), -len(self.strings)


def _needs(items: list[Item], ci: bool) -> _Needs | None:
    """The most selective set of literals one of which every match of `items` contains."""
    found: list[_Needs] = []
    run: list[str] = []
    run_folded = False

    def flush() -> None:
        nonlocal run_folded
        if run:
            found.append(_Needs(frozenset({"".join(run)}), run_folded))
        run.clear()
        run_folded = False

    for op, av, blind in _flat(items, ci):
        if op is sre.LITERAL:
            char = chr(av)
            folded = blind and char.lower() != char.upper()
            if folded and not char.isascii():
                flush()  # a case-blind non-ASCII letter may match other letters (K, the Kelvin sign): skipped
                continue
            if run and folded != run_folded:
                flush()
            run.append(char.lower() if folded else char)
            run_folded = folded
            continue
        flush()
        if op in REPEATS and av[0] >= 1:
            inner = _needs(list(av[2].data), blind)
            if inner is not None:
                found.append(inner)
        elif op is sre.ASSERT:
            inner = _needs(list(av[1].data), blind)
            if inner is not None:
                found.append(inner)
        elif op is sre.BRANCH:
            alts = [_needs(list(alt.data), blind) for alt in av[1]]
            if all(a is not None for a in alts):
                found.append(_union([a for a in alts if a is not None]))
    flush()
    return max(found, key=_Needs.score) if found else None


def _flat(items: list[Item], ci: bool) -> Any:
    """(op, argument, case-blind) of `items` with groups opened: a literal run goes on through a group."""
    for op, av in items:
        if op is sre.SUBPATTERN:
            _group, add, delete, sub = av
            yield from _flat(list(sub.data), (ci or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE)
        else:
            yield op, av, ci


def _union(alts: list[_Needs]) -> _Needs:
    folded = any(a.folded for a in alts)
    if not folded:
        return _Needs(frozenset().union(*(a.strings for a in alts)), False)
    strings = set()
    for a in alts:
        for s in a.strings:
            if not a.folded and not s.isascii():
                return _Needs(frozenset({""}), False)  # cannot be folded soundly: no selectivity
            strings.add(s if a.folded else s.lower())
    return _Needs(frozenset(strings), True)


# -- the piece ---------------------------------------------------------------------------------------------


def _piece(items: list[Item], fronted: list[Item]) -> Piece:
    """The piece `fronted` (`items` with its first character in front): literals are read from `items`."""
    anchored = bool(fronted) and fronted[0] == (sre.AT, sre.AT_BEGINNING_STRING)
    needs = _needs(items, False)
    literals = None
    if needs is not None and "" not in needs.strings:
        literals = tuple(sorted(needs.strings))
    first = next((item for item in fronted if not _zero_width(item)), None)
    head = _findable(first) if first is not None else None
    return Piece(text(fronted), text([head]) if head is not None else "(?s:.)", literals,
                 bool(needs and needs.folded and literals), anchored, _behind(fronted))


