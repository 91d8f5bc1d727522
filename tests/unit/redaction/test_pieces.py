"""Rules cut into pieces (redact/pieces.py) match exactly what the rules match, and the engine's ways of applying
them (all pieces joined, bands of them, each piece searched alone and merged) give the same matches."""

from __future__ import annotations

import random
import re

import pytest

from redact.engine import Engine, _Run
from redact.pieces import pieces
from redact.rules import DEFAULT_TOKENS, PATTERN_RULES, Rule
from redact.rules.base import anonymous
from redact.rules.paths import CODE_MARKERS

EXAMPLES = [x for r in PATTERN_RULES for x in r.matches + r.must_not_match]
GLUE = ["", " ", "\n", "/", "\\", ":", "@", ".", "-", "=", "'", '"', "\t", ", ", "://", "%40", "_"]


def _texts() -> list[str]:
    """Every rule's examples, in other cases, and slices of them glued at odd boundaries."""
    rng = random.Random(15)
    texts = EXAMPLES + [x.upper() for x in EXAMPLES] + [x.swapcase() for x in EXAMPLES]
    for _ in range(600):
        parts = [rng.choice(EXAMPLES) for _ in range(rng.randint(2, 4))]
        texts.append(rng.choice(GLUE).join(p[(a := rng.randint(0, len(p))) : a + rng.randint(1, 120)] for p in parts))
    return texts


TEXTS = _texts()


def _merged(cut: tuple, text: str) -> list[tuple[int, int]]:
    """The rule's matches from its pieces: the leftmost next match of any piece, the first piece on a tie."""
    out, pos = [], 0
    while True:
        found = [(m.start(), i, m.end()) for i, p in enumerate(cut) if (m := p.regex.search(text, pos))]
        if not found:
            return out
        start, _, end = min(found)
        out.append((start, end))
        pos = end


@pytest.mark.parametrize("rule", PATTERN_RULES, ids=lambda r: r.id)
def test_pieces_match_what_the_rule_matches(rule: Rule) -> None:
    whole = re.compile(anonymous(rule.pattern), re.VERBOSE)
    cut = pieces(anonymous(rule.pattern))
    differ = [t for t in TEXTS if [m.span() for m in whole.finditer(t)] != _merged(cut, t)]
    assert not differ, f"{rule.id}: {len(differ)} texts differ, e.g. {differ[0]!r}"


@pytest.mark.parametrize("rule", PATTERN_RULES, ids=lambda r: r.id)
def test_a_text_without_a_pieces_literals_has_no_match_of_it(rule: Rule) -> None:
    for piece in pieces(anonymous(rule.pattern)):
        if piece.literals is None:
            continue
        for text in TEXTS:
            hay = text.lower() if piece.folded else text
            if (text.isascii() or not piece.folded) and not any(x in hay for x in piece.literals):
                assert piece.regex.search(text) is None, f"{rule.id}: {piece.pattern!r} in {text!r}"


def test_the_first_character_comes_first():
    (piece,) = pieces(r"(?<![\w-])sk-[a-z]{3}")
    assert piece.pattern.startswith("s") and piece.literals == ("sk-",)
    assert [p.pattern[:1] for p in pieces(r"(?:ab|cd)e?f")] == ["a", "c"]
    assert piece.regex.search("x sk-abc").span() == (2, 8) and piece.regex.search("xsk-abc") is None


def test_the_three_ways_of_scanning_find_the_same_matches():
    """All pieces joined, the bands a text opens, each piece alone: with and without skipped rules."""
    engine = Engine(frozenset(r.id for r in PATTERN_RULES), DEFAULT_TOKENS, CODE_MARKERS)
    for text in TEXTS:
        for skip in (frozenset(), frozenset({"r3"}), engine._no_paths):
            whole = list(engine._whole_matches(text, skip, _Run(text, engine._needs), 0, len(text)))
            banded = list(engine._banded_matches(text, skip, _Run(text, engine._needs), 0, len(text)))
            merged = list(engine._merged_matches(text, skip, _Run(text, engine._needs), 0, len(text)))
            assert whole == banded == merged, text


def test_remembered_matches_give_the_same_output_and_keep_no_text():
    engine = Engine(frozenset(r.id for r in PATTERN_RULES), DEFAULT_TOKENS, CODE_MARKERS)
    text = r"copied C:\Users\amina.juma\Documents\taxes 2025.pdf to /home/amina/backup"
    first, again = (engine.scan(text, engine.context()) for _ in range(2))
    assert first == again and "amina" not in first
    assert engine._seen and all(b"amina" not in digest for _, digest in engine._seen)


def test_pieces_alone_hand_over_to_the_joined_pieces_where_their_searches_are_wasted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A repeated `ssh ... user@host` line: the path piece finds a path running on to the end of the text at every
    `~/`, and the ssh piece's earlier match covers it each time (quadratic, searched alone). Past the waste
    budget the rest is scanned with one alternation: the same matches, and the hand-over does happen."""
    engine = Engine(frozenset(r.id for r in PATTERN_RULES), DEFAULT_TOKENS, CODE_MARKERS)
    text = "ssh -i ~/.ssh/id_ed25519 dmurphy@buildbo " * 400
    handed: list[int] = []
    whole = engine._whole_matches

    def recording(text: str, skip: frozenset[str], run: _Run, start: int, end: int):  # type: ignore[no-untyped-def]
        handed.append(start)
        return whole(text, skip, run, start, end)

    expected = list(whole(text, frozenset(), _Run(text, engine._needs), 0, len(text)))
    monkeypatch.setattr(engine, "_whole_matches", recording)
    monkeypatch.setattr("redact.engine.WASTE_FLOOR", 0)
    merged = list(engine._merged_matches(text, frozenset(), _Run(text, engine._needs), 0, len(text)))
    assert merged == expected
    assert handed and 0 < handed[0] < len(text)  # handed over part-way, not from the start
