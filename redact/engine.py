"""The fast tier: every enabled pattern rule, cut into pieces (redact/pieces.py), applied in one pass.

At each position the first rule (in PATTERN_RULES order) that matches there wins, the leftmost such match is
taken, and the scan goes on after it: the rules behave as one alternation of all of them, and rules whose `needs`
a text lacks are left out. Three ways give that result, all compiled once per rule set (never per text):

- a whole value up to TINY characters: one alternation of all pieces;
- a text up to SHORT characters (and a span a rule declined): the bands it opens, each an alternation of the
  pieces that need a character the text holds (or a rule's needs it holds);
- a longer text: each piece alone (`re` skips to where its first character occurs; a piece whose literals the text
  lacks is not searched at all).

The last two merge their searches' next matches: the leftmost, the first piece on a tie, the alternation's match.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import heapq
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from redact.bands import Band, Gates, gate
from redact.pieces import Piece, pieces
from redact.rules import PATTERN_RULES, Context, Rule
from redact.rules.base import anonymous

# Rewrites scan what they contain (a URL's query values, a path's segments), which may hold more of the
# same; real text nests a few levels, a hostile value thousands (each level rescans the rest: quadratic).
MAX_NESTING = 12
# Texts (or spans of them) up to this long are searched band by band; longer ones piece by piece (a band tries each
# of its pieces at every position, which beyond this costs more than searching each piece that may occur alone).
SHORT = 512
# Whole values up to this long are searched with one alternation of all pieces: the bands they open would cost more
# searches than their few positions cost it (the pieces inside a path, scanned without the path rules, use bands).
TINY = 64
# How much searching _merged_matches may waste on matches other pieces' matches cover (characters, per character
# of the text, plus a floor) before it scans the rest of the text with one alternation.
WASTE_FACTOR = 4
WASTE_FLOOR = 1 << 16
# Short texts whose matches are remembered (by a keyed digest; start and end of each match and its rule).
MEMO_ENTRIES = 16_384
_NO_SKIP: frozenset[str] = frozenset()


class Engine:
    """Compiled once per Redactor; `scan` rewrites one string and counts findings into a Context."""

    def __init__(self, enabled: frozenset[str], tokens: Mapping[str, str], code_markers: Iterable[str]) -> None:
        active = [r for r in PATTERN_RULES if r.id in enabled or any(x in enabled for x in r.reports)]
        self.rules: dict[str, Rule] = {f"r{i}": r for i, r in enumerate(active)}
        self._by_id = {r.id: r for r in active}
        # Every piece in scan order (rules in order, each rule's pieces in order) with the rule it belongs to.
        self._pieces: list[Piece] = []
        self._group: list[str] = []
        for g, r in self.rules.items():
            for piece in _pieces(r.pattern):
                self._pieces.append(piece)
                self._group.append(g)
        # Rules that can match only in a text holding their `needs`: a text without it is scanned without them
        # (as it always was; asked only once a rule has a match, most texts never ask).
        self._needs = {g: re.compile(r.needs) for g, r in self.rules.items() if r.needs is not None}
        # Pieces inside a path (hosts, e-mails) are scanned with every rule except the path rules.
        self._no_paths = frozenset(g for g, r in self.rules.items() if r.id.startswith("path."))
        # Pieces banded by a character each needs in the text: a short text is searched with the bands it opens.
        # A rule with needs has bands of its own, opened only when the text holds them too.
        banded: dict[tuple[str | None, str | None, bool], list[int]] = {}
        for i, piece in enumerate(self._pieces):
            group = self._group[i]
            banded.setdefault((group if group in self._needs else None, *gate(piece)), []).append(i)
        self._bands = [Band(gate, folded, needs, _joined(tuple(self._pieces[i].pattern for i in ranks)),
                             tuple(ranks), frozenset(ranks)) for (needs, gate, folded), ranks in banded.items()]
        self._gates = Gates(self._bands)
        every = range(len(self._pieces))
        self._whole = Band(None, False, None, _joined(tuple(p.pattern for p in self._pieces)), tuple(every),
                            frozenset(every))
        self._starts: dict[str, tuple[int, ...]] = {}
        self._seen: dict[tuple[bool, bytes], list[tuple[int, int, str]]] = {}
        self._memo_key = os.urandom(16)
        self._behind = max((p.behind for p in self._pieces), default=0)
        self.enabled = enabled
        self.tokens = dict(tokens)
        self.code_markers = tuple(code_markers)
        # Is a decoded value a person's full name? The Redactor sets it from its name finder (URL query values).
        self.person: Callable[[str], bool] | None = None

    def context(self) -> Context:
        return Context(self.tokens, self.enabled, self.code_markers, self._rescan, self._inner_scan,
                       person=self.person)

    def scan(self, text: str, ctx: Context, skip: frozenset[str] = _NO_SKIP) -> str:
        if ctx.depth >= MAX_NESTING:  # a URL in a query value in a URL ...: hostile input, fail closed
            return ctx.hit("limit.depth") if "limit.depth" in ctx.enabled else ""
        ctx.depth += 1
        try:
            out = self._sub(text, ctx, skip, _Run(text, self._needs), 0, len(text))
        finally:
            ctx.depth -= 1
        return propagate(out, ctx) if ctx.depth == 0 and ctx.learned else out

    def _sub(self, text: str, ctx: Context, skip: frozenset[str], run: _Run, start: int, end: int) -> str:
        """Rewrite text[start:end]. A span a rule's validator turns down (a word that is not random, a version
        that is not an IP) is scanned again by the other rules, with its surroundings still visible to their
        lookarounds: what it held is not hidden by the rule that declined it. Each level drops one rule,
        so the work stays linear."""
        parts: list[str] = []
        last = start
        for at, stop, group in self._matches(text, skip, run, start, end):
            rule = self.rules[group]
            new = apply_rule(rule, text[at:stop], ctx)
            if new is None:
                if rule.validate is None:
                    continue
                new = self._sub(text, ctx, skip | {group}, run, at, stop)
            parts.append(text[last:at])
            parts.append(new)
            last = stop
        if not parts:
            return text[start:end] if start or end != len(text) else text
        parts.append(text[last:end])
        return "".join(parts)

    def _matches(self, text: str, skip: frozenset[str], run: _Run, start: int,
                 end: int) -> Iterable[tuple[int, int, str]]:
        """(start, end, rule) of each match in text[start:end], in order.

        A declined span is scanned again with one rule less; the same span in the same surroundings (as far as
        a lookbehind reads) has the same matches, which a repetitive text asks for thousands of times."""
        if end - start > SHORT:
            return self._merged_matches(text, skip, run, start, end)
        if skip is _NO_SKIP or skip is self._no_paths:
            if end - start <= TINY and skip is _NO_SKIP:
                return self._whole_matches(text, skip, run, start, end)
            if start or end != len(text):
                return self._banded_matches(text, skip, run, start, end)
            # A whole short text's matches depend on it alone: the segments of paths, the hosts of URLs recur.
            # Only a keyed digest of the text is kept, never the text.
            digest = (skip is _NO_SKIP, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16,
                                                        key=self._memo_key).digest())
            seen = self._seen.get(digest)
            if seen is None:
                seen = list(self._banded_matches(text, skip, run, start, end))
                if len(self._seen) >= MEMO_ENTRIES:
                    self._seen.clear()
                self._seen[digest] = seen
            return seen
        first = max(0, start - self._behind)
        key = (skip, text[first:end], start - first, first == 0)
        known = run.spans.get(key)
        if known is None:
            known = [(a - start, b - start, g) for a, b, g in self._banded_matches(text, skip, run, start, end)]
            if len(run.spans) < 4096:
                run.spans[key] = known
        return [(a + start, b + start, g) for a, b, g in known] if start else known

    def _whole_matches(self, text: str, skip: frozenset[str], run: _Run, start: int,
                       end: int) -> Iterator[tuple[int, int, str]]:
        """The matches, from one alternation of all pieces (one search per match, however many bands)."""
        pos = start
        while (got := self._band_next(self._whole, text, pos, end, skip, run)) is not None:
            at, pos, rank = got
            yield at, pos, self._group[rank]

    def _banded_matches(self, text: str, skip: frozenset[str], run: _Run, start: int,
                        end: int) -> Iterator[tuple[int, int, str]]:
        """The matches, merged from the bands the text opens (each searched as one alternation of its pieces):
        the leftmost next match, the first piece on a tie."""
        heap: list[tuple[int, int, int, int]] = []  # (start, rank, end, band)
        for b in run.open_bands(self._gates):
            needs = self._bands[b].needs
            if needs is not None and (needs in skip or not run.has_needs(needs)):
                continue
            got = self._band_next(self._bands[b], text, start, end, skip, run)
            if got is not None:
                heap.append((got[0], got[2], got[1], b))
        heapq.heapify(heap)
        pos = start
        while heap:
            at, rank, stop, b = heap[0]
            if at >= pos:
                pos = stop
                yield at, stop, self._group[rank]
            got = self._band_next(self._bands[b], text, pos, end, skip, run)
            if got is None:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (got[0], got[2], got[1], b))

    def _band_next(self, band: Band, text: str, pos: int, end: int, skip: frozenset[str],
                   run: _Run) -> tuple[int, int, int] | None:
        """(start, end, rank) of the band's next match from pos. Where a skipped rule (or one whose needs the text
        lacks) wins a position, the band's pieces after it are tried there."""
        while True:
            m = band.regex.search(text, pos, end)
            if m is None:
                return None
            rank = band.ranks[(m.lastindex or 1) - 1]
            group = self._group[rank]
            if group in skip or not run.has_needs(group):
                p = m.start()
                other = self._after(text, p, end, rank, skip, run, band.members)
                if other is None:
                    pos = p + 1
                    continue
                m, rank = other
            return m.start(), m.end(), rank

    def _after(self, text: str, at: int, end: int, rank: int, skip: frozenset[str], run: _Run,
               members: frozenset[int]) -> tuple[re.Match[str], int] | None:
        """The first of `members` after `rank` that matches at `at`, of a rule neither skipped nor lacking its
        needs."""
        starts = self._starts_with(text[at])
        for i in starts[bisect.bisect_right(starts, rank) :]:
            if i not in members or self._group[i] in skip or not run.has_needs(self._group[i]):
                continue
            m = self._pieces[i].regex.match(text, at, end)
            if m is not None:
                return m, i
        return None

    def _starts_with(self, char: str) -> tuple[int, ...]:
        """The pieces (ranks, in order) whose first character class holds `char`."""
        ranks = self._starts.get(char)
        if ranks is None:
            ranks = tuple(i for i, p in enumerate(self._pieces) if _head(p.head).match(char))
            if len(self._starts) < 4096:
                self._starts[char] = ranks
        return ranks

    def _merged_matches(self, text: str, skip: frozenset[str], run: _Run, start: int,
                        end: int) -> Iterator[tuple[int, int, str]]:
        """The matches, merged from every piece's own search: the leftmost next match, the first piece on a tie.
        A piece's next match found before the last match ended is searched again from its end."""
        heap: list[tuple[int, int, re.Match[str]]] = []
        for i, piece in enumerate(self._pieces):
            if self._group[i] in skip or not run.may_hold(piece) or (piece.anchored and start):
                continue
            m = piece.regex.search(text, start, end)
            if m is not None:
                heap.append((m.start(), i, m))
        heapq.heapify(heap)
        pos = start
        # Each piece searches on its own, so a piece can find a long match that an earlier-starting piece's match
        # then covers, again and again (a path running on through every `ssh ... user@host` of a repeated line):
        # quadratic. The characters such searches covered are counted; past a few times the text, the rest of
        # it is scanned with the one alternation of every piece, which gives the same matches in linear time.
        budget = WASTE_FACTOR * (end - start) + WASTE_FLOOR
        while heap:
            at, i, m = heap[0]
            if at >= pos:
                group = self._group[i]
                if not run.has_needs(group):
                    heapq.heappop(heap)
                    continue
                pos = m.end()
                yield at, pos, group
            else:
                budget -= m.end() - at  # found, then covered by another piece's match: wasted
                if budget < 0:
                    yield from self._whole_matches(text, skip, run, pos, end)
                    return
            m2 = self._pieces[i].regex.search(text, pos, end)
            if m2 is None:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (m2.start(), i, m2))

    def _inner_scan(self, text: str, ctx: Context) -> str:
        return self.scan(text, ctx, self._no_paths) if text else text

    def apply(self, rule_id: str, text: str, ctx: Context) -> str | None:
        """Apply one rule to a span another matcher found (the deep tier's recognizers)."""
        rule = self._by_id.get(rule_id)
        return None if rule is None else apply_rule(rule, text, ctx)

    def _rescan(self, text: str, ctx: Context) -> str:
        return self.scan(text, ctx) if text else text


class _Run:
    """What one scan learns about its text once: which rules' needs it holds, which literals occur in it."""

    __slots__ = ("text", "needs", "verdicts", "seen", "lower", "spans", "bands")

    def __init__(self, text: str, needs: Mapping[str, re.Pattern[str]]) -> None:
        self.text = text
        self.needs = needs
        self.verdicts: dict[str, bool] = {}
        self.seen: dict[str, bool] = {}
        self.lower: str | None = None
        self.bands: list[int] | None = None
        # (skipped rules, the span with what its lookbehinds read, its offset there, at the text's start) ->
        # the span's matches, relative to its start.
        self.spans: dict[tuple[frozenset[str], str, int, bool], list[tuple[int, int, str]]] = {}

    def has_needs(self, group: str) -> bool:
        verdict = self.verdicts.get(group)
        if verdict is None:
            needs = self.needs.get(group)
            verdict = self.verdicts[group] = needs is None or needs.search(self.text) is not None
        return verdict

    def open_bands(self, gates: Gates) -> list[int]:
        """The bands whose character the text holds (the lower-cased text, for case-blind ones), in order."""
        if self.bands is None:
            found = list(gates.always)
            for char in gates.exact.keys() & set(self.text):
                found.extend(gates.exact[char])
            if not self.text.isascii():
                found.extend(gates.folded_all)
            else:
                if self.lower is None:
                    self.lower = self.text.lower()
                for char in gates.folded.keys() & set(self.lower):
                    found.extend(gates.folded[char])
            self.bands = found
        return self.bands

    def may_hold(self, piece: Piece) -> bool:
        """False when the text holds none of the literals every match of the piece needs."""
        if piece.literals is None:
            return True
        if piece.folded:
            if not self.text.isascii():
                return True  # case-blind matching reaches beyond ASCII (the Kelvin sign is a k)
            if self.lower is None:
                self.lower = self.text.lower()
            hay, mark = self.lower, "\0"
        else:
            hay, mark = self.text, ""
        for literal in piece.literals:
            key = mark + literal
            seen = self.seen.get(key)
            if seen is None:
                seen = self.seen[key] = literal in hay
            if seen:
                return True
        return False


@functools.cache
def _pieces(pattern: str) -> tuple[Piece, ...]:
    return pieces(anonymous(pattern))


@functools.lru_cache(maxsize=32)
def _joined(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """All pieces as one alternation; an empty group closing each tells which piece matched (its lastindex)."""
    return re.compile("|".join(f"{p}()" for p in patterns) or r"(?!)")


@functools.lru_cache(maxsize=1024)
def _head(head: str) -> re.Pattern[str]:
    return re.compile(head)


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
