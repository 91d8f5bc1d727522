"""Python's regex parse trees (re._parser, the only way to read a pattern's structure) and writing one back.

`re` has no public parser; its internal one (re._parser, with the op codes of re._constants) is what
`re.compile` itself runs. redact/pieces.py rewrites rule patterns through it; `text` writes a (rewritten) tree
back as a pattern `re.compile` reads the same way, for the ops the rules use (`supported`): no back-references,
conditionals or atomic groups. Groups are written as non-capturing ones: only whole matches are read.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # the parser's op codes (no public API)
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Any

Item = tuple[Any, Any]  # (op, argument) as re._parser builds them
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
ONE_CHAR = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.ASCII, "a"))
# Flags a group may set or clear that `_text` writes back (verbose and unicode change nothing once parsed).
_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.ASCII | re.VERBOSE | re.UNICODE
_AT = {sre.AT_BEGINNING: "^", sre.AT_BEGINNING_STRING: r"\A", sre.AT_END: "$", sre.AT_END_STRING: r"\Z",
       sre.AT_BOUNDARY: r"\b", sre.AT_NON_BOUNDARY: r"\B"}
_CATEGORY = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
             sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W"}


def seq(items: list[Item]) -> Any:
    sub = sre_parse.SubPattern(sre_parse.State())
    sub.data = items
    return sub


def flagged(items: list[Item], add: int, delete: int) -> Item:
    return (sre.SUBPATTERN, (None, add, delete, seq(items)))


def supported(items: list[Item]) -> bool:
    """Only ops `_text` writes back (no back-references, conditionals or atomic groups in the rules)."""
    for op, av in items:
        if op is sre.BRANCH:
            if not all(supported(list(alt.data)) for alt in av[1]):
                return False
        elif op is sre.SUBPATTERN:
            if av[1] & ~_FLAGS or av[2] & ~_FLAGS or not supported(list(av[3].data)):
                return False
        elif op in REPEATS:
            if not supported(list(av[2].data)):
                return False
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if not supported(list(av[1].data)):
                return False
        elif op is sre.AT:
            if av not in _AT:
                return False
        elif op is sre.IN:
            if any(o not in (sre.LITERAL, sre.RANGE, sre.NEGATE) and not (o is sre.CATEGORY and a in _CATEGORY)
                   for o, a in av):
                return False
        elif op not in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY):
            return False
    return True



def text(items: list[Item]) -> str:
    out: list[str] = []
    flags: Any = None
    for op, av in items:
        if op is sre.SUBPATTERN and av[0] is None and (av[1] or av[2]):  # (?i:a)(?i:b) is written (?i:ab)
            if flags == (av[1], av[2]):
                out[-1] = out[-1][:-1] + text(list(av[3].data)) + ")"
                continue
            flags = (av[1], av[2])
        else:
            flags = None
        out.append(_item_text(op, av))
    return "".join(out)


def _char(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isalnum():
        return char
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _item_text(op: Any, av: Any) -> str:
    if op is sre.LITERAL:
        return _char(av)
    if op is sre.NOT_LITERAL:
        return f"[^{_char(av)}]"
    if op is sre.ANY:
        return "."
    if op is sre.IN:
        parts = []
        negate = ""
        for o, a in av:
            if o is sre.NEGATE:
                negate = "^"
            elif o is sre.LITERAL:
                parts.append(_char(a))
            elif o is sre.RANGE:
                parts.append(f"{_char(a[0])}-{_char(a[1])}")
            else:
                parts.append(_CATEGORY[a])
        return f"[{negate}{''.join(parts)}]"
    if op is sre.AT:
        return _AT[av]
    if op is sre.BRANCH:
        return "(?:" + "|".join(text(list(alt.data)) for alt in av[1]) + ")"
    if op is sre.SUBPATTERN:
        _group, add, delete, sub = av
        on = "".join(letter for flag, letter in _FLAG_LETTERS if add & flag)
        off = "".join(letter for flag, letter in _FLAG_LETTERS if delete & flag)
        return f"(?{on}{'-' + off if off else ''}:{text(list(sub.data))})"
    if op in REPEATS:
        lo, hi, body = av
        count = f"{{{lo},{'' if hi == sre.MAXREPEAT else hi}}}"
        mode = "?" if op is sre.MIN_REPEAT else "+" if op is sre.POSSESSIVE_REPEAT else ""
        return f"(?:{text(list(body.data))}){count}{mode}"
    if op is sre.ASSERT or op is sre.ASSERT_NOT:
        direction, body = av
        kind = ("=" if op is sre.ASSERT else "!") if direction == 1 else ("<=" if op is sre.ASSERT else "<!")
        return f"(?{kind}{text(list(body.data))})"
    raise ValueError(f"unsupported regex op {op}")
