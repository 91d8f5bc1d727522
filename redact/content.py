"""Content-like text (prose, pasted documents, prompts, code blocks, blobs) told apart from crash text."""

from __future__ import annotations

import re
from collections.abc import Callable

# Is this word a person's name? (NameFinder.name_word)
NameCheck = Callable[[str], bool]

# Lines of a stack trace or a crash log: these are what triage reads, never "content".
_TRACE_LINE = re.compile(
    r"""(?x) ^\s*(?:
        File\s"                              # Python frame
      | at\s                                 # JS / Java / .NET frame
      | \#\d+\s                              # gdb / lldb / Rust backtrace frame
      | \d+\s+\S+\s+0x[0-9a-fA-F]+           # Apple crash report frame
      | frame\s\#\d+                         # lldb
      | Traceback\b | Caused\sby | Thread\s\d | \.\.\.\s\d+\smore
      | [\w.$]*(?:Error|Exception|Panic|Fault)\b   # the exception line itself
      | 0x[0-9a-fA-F]+\s                     # raw addresses
      | \d+:\s+0x[0-9a-fA-F]+                # Rust std backtrace
      | \d{4}-\d\d-\d\d[T\s]\d\d:\d\d        # timestamped log lines
    )"""
)
# Lines of source code: statement ends, braces, keywords at line start, arrows and comparisons.
_CODE_LINE = re.compile(
    r"""(?x)
        [;{}]\s*$
      | ^\s*(?:def|class|import|from|return|function|const|let|var|if|elif|else|for|while|fn|pub|impl
              |public|private|package|\#include|SELECT|INSERT|UPDATE|<\w+)\b
      | =>|\)\s*\{|\s=\s
    """
)
# A natural-language word: letters, optional apostrophe part, optional trailing punctuation.
_WORD = re.compile(r"[A-Za-z][a-z]*(?:['’][a-z]+)?[,.;:!?\"')]*|[\"'(]?[A-Za-z][a-z]+[,.;:!?]?")
_BLOB = re.compile(r"(?:data:[\w/+.-]+;base64,)?[A-Za-z0-9+/_=\r\n-]{256,}")

MIN_LENGTH = 40
MIN_PROSE_TOKENS = 12
PROSE_RATIO = 0.75


def _lines_verdict(text: str) -> bool | None:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        return None
    trace = sum(1 for line in lines if _TRACE_LINE.match(line))
    if trace * 3 >= len(lines):
        return False
    code = sum(1 for line in lines if _CODE_LINE.search(line))
    return True if code * 2 >= len(lines) else None


def content_like(text: str) -> bool:
    """True for text a user wrote or pasted; False for crash text, identifiers and short values."""
    if len(text) < MIN_LENGTH:
        return False
    if "```" in text or _BLOB.fullmatch(text.strip()):
        return True
    verdict = _lines_verdict(text)
    if verdict is not None:
        return verdict
    tokens = text.split()
    if len(tokens) < MIN_PROSE_TOKENS:
        return False
    words = sum(1 for t in tokens if _WORD.fullmatch(t))
    return words >= PROSE_RATIO * len(tokens)


def _words(tokens: list[str]) -> int:
    return sum(1 for t in tokens if t.strip(_PUNCT).replace("'", "").replace("’", "").isalpha())


_PUNCT = ".,;:!?\"'()[]{}<>«»“”‘’¿¡"


def value_is_content(text: str) -> bool:
    """Stricter check for a telemetry value: a property holds enums, numbers, ids, short UI labels.

    Six or more words of prose, any multi-line text that is not a trace, or a run of CJK text is
    something a user wrote or pasted.
    """
    if content_like(text):
        return True
    if sum(1 for ch in text if ch.isalpha() and ord(ch) >= 0x2E80) >= 8:
        return True  # Chinese, Japanese, Korean: no spaces to count words by
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) >= 2:
        return not any(_TRACE_LINE.match(line) for line in lines)
    tokens = [t for t in text.split() if t.strip(_PUNCT + "-—–|/")]
    words = _words(tokens)
    return words >= 6 and words >= 0.6 * len(tokens)


def is_blob(text: str) -> bool:
    """Pasted data or several lines: never a title or a label, whatever its field."""
    return "\n" in text.strip() or bool(_BLOB.fullmatch(text.strip()))


def content_token(template: str, text: str) -> str:
    return template.replace("{n}", str(len(text)))


# -- short values under content fields --------------------------------------------------------------------

# Lower-case words a UI label may hold between capitalised ones ("Export as PDF", "Save to Drive").
_GLUE = frozenset("a an and as at by for from in of on or per the to vs with".split())
_LABEL_WORD = re.compile(r"[\w&+#./'’-]+")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_SUBCOMMAND_WORD = re.compile(r"[A-Za-z][\w.:-]*")


def is_label(text: str, names: NameCheck | None = None) -> bool:
    """A short UI label ("New Chat", "Export as PDF", "Sheet1", "left_sidebar"), not something a user typed.

    One to four words, each capitalised, upper case or a number (lower-case glue words between them), and no
    word that is a person's name. A lower-case phrase ("divorce mediation options") is a query, not a label.
    """
    words = text.split()
    if not 1 <= len(words) <= 4 or len(text) > 40:
        return False
    if len(words) == 1 and _SNAKE.fullmatch(text):
        return True
    for i, word in enumerate(words):
        if not _LABEL_WORD.fullmatch(word):
            return False
        if not (word[0].isupper() or word[0].isdigit() or (i and word in _GLUE)):
            return False
        if names is not None and names(word):
            return False
    return True


def is_subcommand(text: str) -> bool:
    """A bare subcommand path ("builds list", "greengrassv2 create-component-version"): no options, no values."""
    words = text.split()
    return 1 <= len(words) <= 5 and len(text) <= 80 and all(_SUBCOMMAND_WORD.fullmatch(w) for w in words)
