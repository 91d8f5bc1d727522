"""Remarks: which rule replaced which character range of a text, and with what, never the removed text itself.

The input and the redacted output are aligned with our replacement tokens as unsplittable symbols, so every
changed range of the input maps to the tokens that replaced it, and each token to the rule ids that emit it.
This works from the result alone: no rule needs to report positions, and nothing removed is kept.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import msgspec

# A token in the output stands for one rule finding; Python objects compare by identity, so no input character
# ever equals one and the alignment cannot split it.


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Remark(msgspec.Struct, frozen=True):
    """One replacement: rule ids, the replaced range of the input [start, end), and what stands there now."""

    rules: tuple[str, ...]
    start: int
    end: int
    replacement: str


def token_pattern(tokens: Mapping[str, str], findings: Mapping[str, int]) -> tuple[re.Pattern[str], dict[str, str]]:
    """A regex finding every replacement token of the rules that fired, and a token-shape -> rule ids map."""
    shapes: dict[str, list[str]] = {}
    for rule in findings:
        token = tokens.get(rule)
        if token:
            shapes.setdefault(token, []).append(rule)
    alternatives = sorted(shapes, key=len, reverse=True)
    regex = "|".join(re.escape(t).replace(re.escape("{n}"), r"\d+") for t in alternatives)
    return re.compile(regex or r"(?!)"), {t: ",".join(ids) for t, ids in shapes.items()}


def remarks(text: str, redacted: str, tokens: Mapping[str, str], findings: Mapping[str, int]) -> list[Remark]:
    """Every range of `text` that differs in `redacted`, with the rules whose tokens replaced it."""
    if text == redacted:
        return []
    regex, rules_of = token_pattern(tokens, findings)
    shapes = [(re.compile(re.escape(t).replace(re.escape("{n}"), r"\d+")), ids) for t, ids in rules_of.items()]
    out_items: list[str | _Token] = []
    at = 0
    for m in regex.finditer(redacted):
        out_items.extend(redacted[at : m.start()])
        out_items.append(_Token(m.group()))
        at = m.end()
    out_items.extend(redacted[at:])
    matcher = difflib.SequenceMatcher(None, list(text), out_items, autojunk=False)
    result = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        piece = out_items[j1:j2]
        replacement = "".join(x.text if isinstance(x, _Token) else x for x in piece)
        ids = []
        for x in piece:
            if isinstance(x, _Token):
                ids.extend(next(r for s, r in shapes if s.fullmatch(x.text)).split(","))
        result.append(Remark(tuple(dict.fromkeys(ids)) or ("rewrite",), i1, i2, replacement))
    return result


def render(remarks_: list[Remark], redacted: str) -> str:
    """The remarks as an operator reads them: rule, range, replacement; then the redacted text."""
    lines = [f"{'rule':<24} {'range':<13} replacement"]
    lines += [f"{'+'.join(r.rules):<24} {f'{r.start}-{r.end}':<13} {r.replacement}" for r in remarks_]
    if not remarks_:
        lines.append("(nothing removed)")
    lines.append(f"redacted: {redacted}")
    return "\n".join(lines)
