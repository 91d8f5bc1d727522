"""Bands of pieces (redact/pieces.py) for the engine: which pieces a short text can need searched at all.

A band is an alternation of pieces in scan order that all need one character in the text (the rarest their
literals share) or a rule's needs; a text opens the bands whose character it holds (looked up by the characters
it holds, not band by band).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from redact.pieces import Piece


@dataclass(frozen=True, slots=True)
class Band:
    """Pieces that all need one character in the text (`gate`; None: no such character), joined in order."""

    gate: str | None
    folded: bool
    needs: str | None  # the rule whose needs the text must hold (None: no rule's)
    regex: re.Pattern[str]
    ranks: tuple[int, ...]  # the piece behind each empty group, in order
    members: frozenset[int]


# Characters from the most common in text to the rarest; a band waits for the rarest character its pieces share.
_COMMON = " etaoinsrhldcumfpgwybvkxjqz0123456789.-/_:,\n=ETAOINSRHLDCUMFPGWYBVKXJQZ()'\"\t[]\\<>@;&?#%+*!|~$^`{}"


def gate(piece: Piece) -> tuple[str | None, bool]:
    """The rarest character every literal of the piece holds, and whether it is sought case-blind."""
    if piece.literals is None:
        return None, False
    shared = set.intersection(*(set(x) for x in piece.literals))
    if not shared:
        return None, False
    return max(sorted(shared), key=lambda c: _COMMON.find(c) if c in _COMMON else len(_COMMON)), piece.folded


class Gates:
    """Which bands a text opens, by character: looked up for the characters a text holds, not band by band."""

    def __init__(self, bands: list[Band]) -> None:
        self.always = tuple(b for b, band in enumerate(bands) if band.gate is None)
        self.exact: dict[str, list[int]] = {}
        self.folded: dict[str, list[int]] = {}
        for b, band in enumerate(bands):
            if band.gate is not None:
                (self.folded if band.folded else self.exact).setdefault(band.gate, []).append(b)
        self.folded_all = tuple(b for ids in self.folded.values() for b in ids)
