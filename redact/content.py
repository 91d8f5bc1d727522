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

# A SQL statement, whatever field carries it: the shapes of its verbs (SELECT ... FROM, UPDATE ... SET, ...).
_SQL = re.compile(
    r"""(?isx) \A\s*(?:
        select\s.{1,2000}?\sfrom\s | insert\s+into\s | update\s+[\w."`\[\]]+\s+set\s | delete\s+from\s
      | with\s+\w+\s+as\s*\( | (?:create|alter|drop)\s+(?:or\s+replace\s+)?(?:table|view|index)\s
    )"""
)

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
    if _SQL.match(text):
        return True  # a statement someone wrote: its table, column and literal names are theirs
    if "\n" not in text.strip() and _TRACE_LINE.match(text):
        return False  # an exception line or a log line a program printed ("TypeError: Cannot read ...")
    if spreadsheet(text) or content_like(text) and not program_message(text):
        return True
    if sum(1 for ch in text if ch.isalpha() and ord(ch) >= 0x2E80) >= 8:
        return True  # Chinese, Japanese, Korean: no spaces to count words by
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) >= 2:
        return not any(_TRACE_LINE.match(line) for line in lines)
    tokens = [t for t in text.split() if t.strip(_PUNCT + "-—–|/")]
    words = _words(tokens)
    return words >= 6 and words >= 0.6 * len(tokens) and not program_message(text)


# What programs print to a person or a log, and a person seldom writes: failure and state words, instructions
# to the reader ("try again", "sign in"), telemetry's own nouns. A user's prose (a query, a prompt, a note, a
# review) speaks in the first person or asks; a program's message speaks of itself or to "you".
_PROGRAM_WORDS = frozenset("""
    error errors err failed failure fails fail unable cannot can't couldn't could't invalid expired exceeded
    timeout timed denied refused rejected revoked unexpected unexpectedly missing unavailable unsupported
    deprecated undefined null nan exited crashed killed aborted terminated interrupted occurred
    warning warn fatal panic exception retry retrying retries restart reload reconnect reconnecting restored
    saved successfully succeeded completed unknown disabled enabled required must forbidden unauthorized
    connection network offline online server request response status code signal token session
    property properties argument arguments parameter parameters module dependency version permission
""".split())
_PROGRAM_PHRASES = re.compile(
    r"(?i)\b(?:try\s+again|sign\s+in|log\s+in|not\s+found|no\s+such|out\s+of\s+memory|is\s+not\s+a\s+function"
    r"|please\s+\w+|has\s+been|have\s+been|is\s+available|contact\s+support|at\s+least\s+\d)\b"
)
# Tokens no prose has: CamelCase or ALL_CAPS identifiers, snake_case, calls, codes (-1009, E0425, 0x1f), key=value.
_PROGRAM_TOKEN = re.compile(
    r"[a-z]+[A-Z]\w*|[A-Z][a-z]+[A-Z]\w*|[A-Z][A-Z0-9_]{2,}|\w+_\w+|\w+\(\)|[\w.]+::\w+|-?\d{3,}|[A-Z]\d{3,}"
    r"|0x[0-9a-fA-F]+|\w+=\S+|\$\d"
)
# A run of 16+ letters and digits mixing both: a key, a token, a session id, a hash.
_RANDOM_RUN = re.compile(r"(?=[A-Za-z0-9_-]{16,})(?=[^\s]*\d)(?=[^\s]*[A-Za-z])[A-Za-z0-9_-]{16,}")
_CREDENTIAL = re.compile(r"(?i)pass(?:word|wd|phrase)|\bpwd\b|secret|api[_ -]?key|credential|\bbearer\b|cookie")
# A password-like word: letters and digits with a symbol or both cases, no path or version dots ("Tr0ub4dor&3").
_PASSWORD_LIKE = re.compile(r"(?<!\S)(?=\S*\d)(?=\S*[A-Za-z])(?=\S*(?:[!#$%^&*+=~]|[a-z]\S*[A-Z]|[A-Z]\S*[a-z]))"
                            r"[^\s/.:@]{8,64}(?!\S)")
# The first person and questions: a person writing.
_PERSON_WORDS = frozenset("i i'm i’m i've i'd i'll me my mine myself we'd our ours".split())
_QUESTION_START = frozenset("how what why where when who which whom whose can could should would is are do does did "
                            "will shall may".split())


def program_message(text: str) -> bool:
    """A one-line message a program made (an error, a status, a UI notice, a statement with placeholders), not text a
    person wrote: it starts with a capital or an identifier, names a failure or a state (or carries an
    identifier-like token), and has no first-person word and no leading question word."""
    if "\n" in text.strip() or _RANDOM_RUN.search(text) or _CREDENTIAL.search(text) or _PASSWORD_LIKE.search(text):
        return False  # a key, a token or a password in the message: when in doubt the value goes whole
    raw = text.split()
    if not raw:
        return False
    lowered = [t.strip(_PUNCT).lower() for t in raw]
    if any(w in _PERSON_WORDS for w in lowered):
        return False
    first = raw[0].lstrip(_PUNCT)
    if not first or first[0].islower() and not _PROGRAM_TOKEN.fullmatch(first.rstrip(_PUNCT)):
        return False  # "how to file for bankruptcy": lower-case prose is typed, not printed
    if lowered[0] in _QUESTION_START and text.rstrip().endswith("?"):
        return False
    markers = sum(1 for w in lowered if w in _PROGRAM_WORDS)
    markers += sum(1 for t in raw if _PROGRAM_TOKEN.fullmatch(t.strip(_PUNCT + "!")))
    markers += len(_PROGRAM_PHRASES.findall(text))
    return markers >= 2


# Sheet-qualified references ('Payroll Jan'!A2:F48, Summary!C2:C9), bare ranges (B2:B140, A:D) and formulas
# (=VLOOKUP(...), =B5/12): what a user built in a spreadsheet, whatever field carries it.
_CELL = r"\$?[A-Z]{1,3}\$?\d{1,7}"
_AREA = rf"{_CELL}(?::{_CELL})?|\$?[A-Z]{{1,3}}:\$?[A-Z]{{1,3}}"
_SHEET_REF = re.compile(rf"(?<![\w!])(?:'[^'\n]{{1,100}}'|[A-Za-z_][\w.]{{0,60}})!(?:{_AREA})(?![\w(])")
_BARE_RANGE = re.compile(rf"{_CELL}:{_CELL}|\$?[A-Z]{{1,3}}:\$?[A-Z]{{1,3}}")
_FORMULA = re.compile(rf"=\s*(?:[A-Z][A-Z0-9.]*\(|-?{_CELL}\b|'[^']+'!)")


def spreadsheet(text: str) -> bool:
    """A spreadsheet range, sheet reference or formula: user content even when short (the sheet names are the
    user's, the range says which of their data was touched)."""
    t = text.strip()
    return bool(_BARE_RANGE.fullmatch(t) or _FORMULA.match(t) or _SHEET_REF.search(t))


def is_blob(text: str) -> bool:
    """Pasted data or several lines: never a title or a label, whatever its field."""
    return "\n" in text.strip() or bool(_BLOB.fullmatch(text.strip()))


def label_of_words(text: str, english: frozenset[str]) -> bool:
    """An enum label a program chose: up to four dictionary words in any case style ("accepted", "necessary_only",
    "whenInUse", "bottom-bar") or a small count. Machine-made credentials are never dictionary words."""
    if len(text) > 40:
        return False
    if text.isdigit():
        return len(text) <= 3
    words = [w.lower() for w in re.split(r"[_\-\s.]+|(?<=[a-z])(?=[A-Z])", text) if w]
    return 1 <= len(words) <= 4 and all(w in english or w in _GLUE for w in words)


# A media type ("image/png", "application/json"), a version or a short code ("v2", "h264"), empty JSON.
_MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9][\w.+-]*")
_SHORT_WORD = re.compile(r"[a-z]{2,8}")
_SHORT_CODE = re.compile(r"v?\d+(?:\.\d+)*|[a-z]{1,8}\d{1,3}")
# What a program sends under a content field (Sentry tags, Segment context, SDK options): a registered media type
# with its parameters ("text/html; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
# a dotted or reverse-DNS identifier ("com.posthog.app", "django.request", "db.sql.query", "http.client"), a
# package or release at a version ("pnpm@8.15.4", "frontend@2.14.0+build.5521"). A dotted value of two parts
# needs a last part of five letters or more: "notes.md" and "taxes.pdf" are file names a person chose.
_MEDIA_TYPE_FULL = re.compile(r"(?:application|text|image|audio|video|font|multipart|model|message)/[a-z0-9][\w.+-]*"
                              r"(?:;[ ]?[a-z-]+=[\w.-]+)*")
_DOTTED = re.compile(r"[a-z][a-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*){2,6}|[a-z][a-z0-9_-]*\.[a-z_][a-z0-9_-]{4,}")
_AT_VERSION = re.compile(r"@?[a-z][\w./-]*@v?\d+(?:\.\d+)*(?:[-+][\w.]+)?")


def enum_in_content(text: str, english: frozenset[str], query: bool, names: NameCheck | None = None) -> bool:
    """A value under a content field that no person wrote: empty ("", "[]"), and unless the field takes what a
    person typed into a search or filter box (a one-word query is a query: "chemotherapy"), a media type, a short
    code or format ("v2", "json", "stdout"), or a status of dictionary words ("accepted", "hero_banner"); never a
    person's name ("marta")."""
    t = text.strip()
    if not t or t in ("[]", "{}", '""'):
        return True
    if len(t) <= 120 and _MEDIA_TYPE_FULL.fullmatch(t):
        return True
    if query or len(t) > 80 or " " in t:
        return False
    if _MEDIA_TYPE.fullmatch(t) or _SHORT_CODE.fullmatch(t) or _AT_VERSION.fullmatch(t):
        return True
    if names is not None and any(_name_not_word(w, names) for w in re.split(r"[_\-.]+", t) if w):
        return False
    if _DOTTED.fullmatch(t):
        return True
    return len(t) <= 40 and (bool(_SHORT_WORD.fullmatch(t)) or label_of_words(t, english))


def content_token(template: str, text: str) -> str:
    return template.replace("{n}", str(len(text)))


# -- short values under content fields --------------------------------------------------------------------

# Lower-case words a UI label may hold between capitalised ones ("Export as PDF", "Save to Drive").
_GLUE = frozenset("a an and as at by for from in of on or per the to vs with".split())
_LABEL_WORD = re.compile(r"[\w&+#./'’-]+")
# Identifiers a program made: snake_case, kebab-case (dark_mode, new-onboarding), alone or as a list
# (id,name,created_at).
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_IDENT = re.compile(r"[a-z][a-zA-Z0-9]*(?:[_-][a-zA-Z0-9]+)+")
_IDENT_LIST = re.compile(r"[a-z][\w-]*(?:[ \t]*[,;|][ \t]*[a-z][\w-]*)+")
# A URL query string sent on its own (page=2&sort=asc): the URL rules look inside it.
QUERY_STRING = re.compile(r"[\w.%\[\]-]+=[^\s&=]*(?:&[\w.%\[\]-]+=[^\s&]*)*")
# A value the sender already masked: a redaction token or a mask run, with at most the digits PCI DSS lets a
# card number show (first six, last four: "4111********1111", "4111[removed]", "****1234").
_MASK = r"(?:[*•xX]{3,}|\[(?:removed|redacted|filtered|masked)\]|<(?:removed|redacted|filtered|masked)>)"
MASKED = re.compile(rf"(?i)(?=.*{_MASK})(?:{_MASK}|[\d \-]){{1,40}}")
# Strings that carry one bit: never replaced, whatever the field (the JSON booleans and null, as text).
ONE_BIT = re.compile(r"(?i)true|false|null|none|nil|undefined|yes|no|on|off")
_SUBCOMMAND_WORD = re.compile(r"[A-Za-z][\w.:-]*|--?[A-Za-z][\w-]*")


def _name_not_word(word: str, names: NameCheck) -> bool:
    """A person's name that is no English word ("marta", not "beta" or "mode")."""
    from redact.names import load  # the name lists import nothing from here; loaded once per process

    return names(word.title()) and word.lower() not in load().english


def is_label(text: str, names: NameCheck | None = None) -> bool:
    """A short UI label ("New Chat", "Export as PDF", "Sheet1", "left_sidebar"), not something a user typed.

    One to four words, each capitalised, upper case or a number (lower-case glue words between them), and no
    word that is a person's name. A lower-case phrase ("divorce mediation options") is a query, not a label.
    """
    if len(text) <= 80 and (_IDENT.fullmatch(text) or _IDENT_LIST.fullmatch(text)):
        # a slug with a person's name in it ("marta-thesis-nlp") is a user's, not a program's
        return names is None or not any(_name_not_word(w, names) for w in re.split(r"[^A-Za-z]+", text) if len(w) > 2)
    words = text.split()
    if not 1 <= len(words) <= 4 or len(text) > 40:
        return False
    for i, word in enumerate(words):
        if not _LABEL_WORD.fullmatch(word):
            return False
        if not (word[0].isupper() or word[0].isdigit() or (i and word in _GLUE)):
            return False
        if names is not None and names(word):
            return False
    return True


def is_subcommand(text: str) -> bool:
    """A bare subcommand path ("builds list", "greengrassv2 create-component-version", "install --verbose"):
    words and flags, no values (no paths, quotes, addresses, `=`)."""
    words = text.split()
    return 1 <= len(words) <= 5 and len(text) <= 80 and all(_SUBCOMMAND_WORD.fullmatch(w) for w in words)
