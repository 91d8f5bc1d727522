"""Person names without a model: a first/last-name list (redact/data/names.txt) plus capitalisation and cues.

Cheap enough for the fast tier: one pass of a few compiled patterns over capitalised words, then set lookups.
A name is removed when it is a known given name followed by a known name ("Daniel Wren"), or when a cue says
a name follows whatever the list says ("Hi Bram,", "Dr. Okafor", "Author: Joaquim Ferraz <...>", a sign-off).
Names also found in the `[common]` section ("Will", "May", "Jordan", "Ruby") need a cue. Text escaped as
`\\uXXXX` is decoded, searched and its escaped span replaced. Rule ids: `name.pair`, `name.cue`, `name.field`.
"""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from redact.cues import AFTER_CUE, DEVICE, credit, cue_before

DATA = Path(__file__).with_name("data") / "names.txt"
ENGLISH = Path(__file__).with_name("data") / "english.txt.gz"
RULE_TOKENS = {"name.pair": "[person]", "name.cue": "[person]", "name.field": "[person]"}


def _letters(pred: str) -> str:
    """A character class of the cased letters of Latin, Greek, Cyrillic and Armenian (re has no \\p{Lu})."""
    chars = [chr(c) for c in (*range(0x41, 0x250), *range(0x370, 0x530), *range(0x531, 0x588),
                              *range(0x1E00, 0x1F00))]  # Latin Extended Additional: Vietnamese (Nguyễn)
    picked = [ch for ch in chars if getattr(ch, pred)()]
    runs, start, prev = [], picked[0], picked[0]
    for ch in picked[1:]:
        if ord(ch) != ord(prev) + 1:
            runs.append((start, prev))
            start = ch
        prev = ch
    runs.append((start, prev))
    return "".join(re.escape(a) if a == b else f"{re.escape(a)}-{re.escape(b)}" for a, b in runs)


UP, LO = _letters("isupper"), _letters("islower")
CJK = r"\u4e00-\u9fff\u3400-\u4dbf\uac00-\ud7af\u3040-\u30ff"
HONORIFIC = ("先生", "女士", "小姐", "老师", "同学", "经理", "様", "さん", "くん", "ちゃん", "님", "씨")
# Not followed by more of an identifier, a path, a call or a file extension.
_AFTER = r"(?![\w$/\\@(]|\.\w)"
# Characters that make a capitalised word part of something else when they come right before it.
_GLUED = set("$@#./\\-_") | set("0123456789")


def _token(up: str, lo: str) -> str:
    """One capitalised name word: Daniel, Lefèvre, Beckham-Reyes, O'Brien, McAllister, Иванов (not HTTP)."""
    return rf"(?:Mc|Mac|O['’])?[{up}][{lo}]+(?:[-'’][{up}]?[{lo}]+)*"


def _candidates(up: str, lo: str) -> re.Pattern[str]:
    """Runs of one to four capitalised words on one line (a middle initial may sit between): "Martin B. Keller"."""
    token = _token(up, lo)
    return re.compile(rf"{token}(?:[ \t]+(?:[{up}]\.[ \t]+)?{token}){{0,3}}{_AFTER}")


# ASCII text (most crash text) gets ASCII classes: re checks them with a bitmap, several times faster.
CANDIDATES_ASCII = _candidates("A-Z", "a-z")
CANDIDATES = _candidates(UP, LO)
CJK_RUN = re.compile(rf"[{CJK}]{{2,}}")
WORDS = re.compile(rf"{_token(UP, LO)}|[{CJK}]+")
INITIAL = re.compile(rf"[{UP}]\.")
# After a name: an e-mail address, or what is left of one ("Jane Roe <jane@x.org>", "Jane Roe <[email]>",
# GitHub's "Jane Roe ***@***.***> wrote:").
MAIL_AFTER = re.compile(r"[\"']?,?[ \t]*<?(?:[^\s<>@\"']{1,64}@[^\s<>]|\[email\]|\*{3}@)")
SURNAME_COMMA = re.compile(rf"(?<![\w@.])(?:Mc|Mac|O['’])?[{UP}][{LO}]+(?:[-'’][{UP}]?[{LO}]+)*,[ \t]+\Z")
ESCAPED = re.compile(r"(?:\\u[0-9a-fA-F]{4}(?:[ \t]|\\u0020)*){2,}")
_SLUG = re.compile(r"(?<![\w.@])[a-z]+(?:[-_][a-z0-9]+)+(?![\w@])")
_SLUG_PART = re.compile(r"[a-z]+")
_HANDLE = re.compile(r"[a-z][a-z]*\d*(?:[._-][a-z]+\d*){1,2}")
PARTICLES = frozenset("de da das do dos du del della der den van von la le di bin binti al el y e ter ten".split())
# Cyrillic case endings: "Ивановых", "Ивановой", "Ивана" are forms of Иванов, Иван.
_CYR_ENDINGS = ("ыми", "ого", "ому", "ых", "ым", "ой", "ую", "ов", "ым", "ам", "ах", "а", "у", "е", "ы", "ом", "ем")


@dataclass(frozen=True, slots=True)
class NameData:
    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]
    cjk_last: frozenset[str]  # family names written in Han or Hangul (one or two characters)
    english: frozenset[str]  # lower-case English words (SCOWL): an unknown word among them is no surname

    @property
    def size(self) -> int:
        return len(self.first) + len(self.last)


@functools.cache
def load(path: Path = DATA, english: Path = ENGLISH) -> NameData:
    """The shipped lists, read once per process (about 55,000 names and 64,000 English words)."""
    sections: dict[str, set[str]] = {"first": set(), "last": set(), "common": set()}
    current: set[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections[line[1:-1]]
        elif current is not None:
            current.add(line)
    cjk_last = frozenset(n for n in sections["last"] if len(n) <= 2 and all(ord(c) >= 0x2E80 for c in n))
    words = frozenset(gzip.decompress(english.read_bytes()).decode("utf-8").split())
    return NameData(frozenset(sections["first"]), frozenset(sections["last"]), frozenset(sections["common"]),
                    cjk_last, words)


class NameFinder:
    """Finds person names in free text (`spans`) and tells whether a whole value is a name (`whole`)."""

    def __init__(self, data: NameData | None = None) -> None:
        self.data = data if data is not None else load()

    # -- words -------------------------------------------------------------------------------------

    def _variants(self, word: str) -> Iterator[str]:
        yield word
        if "\u0400" <= word[0] <= "\u04ff":
            for end in _CYR_ENDINGS:
                if word.endswith(end) and len(word) > len(end) + 2:
                    yield word[: -len(end)]
                    yield word[: -len(end)] + "а"

    def first(self, word: str) -> bool:
        return any(w in self.data.first for w in self._variants(word))

    def known(self, word: str) -> bool:
        d = self.data
        return any(w in d.first or w in d.last for w in self._variants(word))

    def name_word(self, word: str) -> bool:
        """A word that is a known name and not also a common word (for label checks: "Chat" is no name)."""
        return self.known(word) and not self.common(word)

    def common(self, word: str) -> bool:
        return word.lower() in self.data.common

    def cjk_name(self, run: str) -> bool:
        return 2 <= len(run) <= 4 and (run[0] in self.data.cjk_last or run[:2] in self.data.cjk_last)

    # -- free text ---------------------------------------------------------------------------------

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, rule id) of every name in `text`, sorted and not overlapping."""
        found = list(self._words(text))
        if not text.isascii():
            found.extend(self._cjk(text))
            if "\\u" in text:
                found.extend(self._escaped(text))
        elif "\\u" in text:
            found.extend(self._escaped(text))
        signature = self._signature(text)
        if signature is not None:
            found.append(signature)
        if len(found) > 1:
            found.sort()
        out: list[tuple[int, int, str]] = []
        for start, end, rule in found:
            if out and start < out[-1][1]:
                if end > out[-1][1]:
                    out[-1] = (out[-1][0], end, out[-1][2])
                continue
            out.append((start, end, rule))
        return out

    def _words(self, text: str) -> Iterator[tuple[int, int, str]]:
        if text.isascii():
            yield from self._words_in(text, CANDIDATES_ASCII.finditer(text))
            return
        at = 0
        for line in text.splitlines(keepends=True):  # the Unicode classes are slow: only where they are needed
            regex = CANDIDATES_ASCII if line.isascii() else CANDIDATES
            yield from self._words_in(text, regex.finditer(text, at, at + len(line)))
            at += len(line)

    def _words_in(self, text: str, matches: Iterator[re.Match[str]]) -> Iterator[tuple[int, int, str]]:
        common = self.data.common
        for m in matches:
            start = m.start()
            if start and (text[start - 1] in _GLUED or text[start - 1].isalpha()):
                continue
            run = m.group()
            if " " not in run and "\t" not in run:
                if run.lower() in common:
                    continue  # one common word ("Error", "Caused", "File"): the usual case, nothing to do
                words = [(start, m.end(), run)]
            else:
                words = [(w.start() + start, w.end() + start, w.group()) for w in WORDS.finditer(run)]
            if credit(text, start):
                continue  # "(C) Dave Chapman 2001-2004": a public authorship notice that triage reads
            cued = self._cue(text, words)
            if cued is not None:
                yield cued
            elif MAIL_AFTER.match(text, words[-1][1]) and not any(self.common(w[2]) for w in words):
                # "Doe, Jane <jane@x.org>": the display name a corporate directory gives, family name first
                family = SURNAME_COMMA.search(text, max(0, start - 40), start)
                yield family.start() if family else words[0][0], words[-1][1], "name.cue"
            else:
                yield from self._pairs(words)

    def _signature(self, text: str) -> tuple[int, int, str] | None:
        """A message's last line, alone after a blank line, that is only a name: "...\n\nSanthosh"."""
        body = text.rstrip()
        cut = body.rfind("\n")
        if cut < 2 or len(body) - cut > 40 or body[cut - 1] != "\n" and body[cut - 2 : cut] != "\n\r"[::-1]:
            return None
        line = body[cut + 1 :].strip()
        if not line or not CANDIDATES.fullmatch(line):
            return None
        words = [w.group() for w in WORDS.finditer(line)]
        if len(words) > 3 or any(self.common(w) for w in words) or len(words) > 1 and not self.known(words[0]):
            return None
        before = body[:cut].rstrip()
        if not any(self.known(w) for w in words) and not before.endswith((".", "!", "?")):
            return None
        start = cut + 1 + body[cut + 1 :].index(line)
        return start, start + len(line), "name.cue"

    def _pairs(self, words: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, str]]:
        i = 0
        while i < len(words) - 1:
            w0 = words[i][2]
            if self.first(w0) and not self.common(w0) and (self._accepts(words[i + 1][2])
                                                            or self._surname_like(w0, words[i + 1][2])):
                j = i + 1
                while j + 1 < len(words) and self._accepts(words[j + 1][2]):
                    j += 1
                yield words[i][0], words[j][1], "name.pair"
                i = j + 1
            elif self._family_first(w0, words[i + 1][2]):
                yield words[i][0], words[i + 1][1], "name.pair"
                i += 2
            else:
                i += 1

    def _family_first(self, family: str, given: str) -> bool:
        """A family name then a given name, the order of Chinese, Japanese, Korean, Hungarian and Vietnamese names
        ("Nakamura Yuki", "Kovács Péter"): both known, the first only as a family name, neither an English word."""
        d = self.data
        return (family in d.last and not self.first(family) and self.first(given) and not self.common(family)
                and not self.common(given) and family.lower() not in d.english and given.lower() not in d.english)

    def _accepts(self, word: str) -> bool:
        return self.known(word) and not self.common(word)

    def _surname_like(self, given: str, word: str) -> bool:
        """An unknown capitalised word after a known given name is a surname unless either is an English word."""
        english = self.data.english
        return len(word) >= 3 and word.lower() not in english and given.lower() not in english \
            and not self.common(word)

    def _cue(self, text: str, words: list[tuple[int, int, str]]) -> tuple[int, int, str] | None:
        """A name right after a cue: the leading words that are not common words (and known, for weak cues)."""
        for k in range(len(words)):
            kind = cue_before(text, words[k][0])
            if kind is not None:
                span = self._cued(text, words[k:], kind)
                if span is not None:
                    return span
        return None

    def _cued(self, text: str, words: list[tuple[int, int, str]], kind: str) -> tuple[int, int, str] | None:
        keep = []
        for w in words:
            if self.common(w[2]):
                break
            keep.append(w)
        if not keep:
            return None
        if kind == "name" and (len(keep) < 2 or not any(self.known(w[2]) for w in keep)):
            return None
        if kind in ("role", "weak signoff") and not any(self.known(w[2]) for w in keep):
            return None
        after = AFTER_CUE.get(kind)
        if after is not None and not after.match(text, keep[-1][1]):
            thanked = AFTER_CUE["thanks"].match(text, keep[-1][1])
            if kind != "signoff" or not thanked or not any(self.first(w[2]) for w in keep):
                return None
        return keep[0][0], keep[-1][1], "name.cue"

    def _cjk(self, text: str) -> Iterator[tuple[int, int, str]]:
        """Han, Hangul and Kana names: after a cue, or before an honorific (陈晓明先生, 김민준님)."""
        for m in CJK_RUN.finditer(text):
            run, start = m.group(), m.start()
            if cue_before(text, start) not in (None, "name"):
                end = next((run.find(h) for h in HONORIFIC if 2 <= run.find(h) <= 4), min(len(run), 4))
                yield start, start + end, "name.cue"
                continue
            for h in HONORIFIC:
                at = run.find(h)
                for size in (3, 2, 4):
                    if at >= size and self.cjk_name(run[at - size : at]):
                        yield start + at - size, start + at, "name.cue"
                        break

    def _escaped(self, text: str) -> Iterator[tuple[int, int, str]]:
        for m in ESCAPED.finditer(text):
            decoded, where = _decode(m.group())
            for start, end, rule in self.spans(decoded):
                yield m.start() + where[start][0], m.start() + where[end - 1][1], rule

    def slug_spans(self, text: str) -> list[tuple[int, int, str]]:
        """A given name and a family name inside a lower-case slug ("thesis-maria-gonzalez-final",
        "notes_priya_raman"): a known given name then a known family name, not both English words, neither common."""
        out: list[tuple[int, int, str]] = []
        english = self.data.english
        for m in _SLUG.finditer(text):
            parts = [(p.start() + m.start(), p.end() + m.start(), p.group()) for p in _SLUG_PART.finditer(m.group())]
            for (s0, _e0, a), (_s1, e1, b) in zip(parts, parts[1:], strict=False):
                if (len(a) > 2 and len(b) > 2 and (a not in english or b not in english)
                        and self.first(a.title()) and b.title() in self.data.last and not self.common(a)
                        and not self.common(b)):
                    out.append((s0, e1, "name.pair"))
        return out

    # -- whole values ------------------------------------------------------------------------------

    def handle(self, value: str, lone: bool = True) -> bool:
        """An account handle made of a person's names: "amara_okafor92", "okafor.amara"; with `lone` (a field that
        names a person) an initial and a surname are enough ("a.okafor")."""
        if not _HANDLE.fullmatch(value):
            return False
        parts = [p.rstrip("0123456789").title() for p in re.split(r"[._-]", value)]
        if any(self.common(p) for p in parts if len(p) > 1):
            return False
        if not lone:  # given name and family name ("amara_okafor"), either order
            return len(parts) == 2 and (self.first(parts[0]) and self.known(parts[1])
                                        or self.known(parts[0]) and self.first(parts[1]))
        return any(len(p) >= 3 for p in parts) and all(len(p) == 1 or self.known(p) for p in parts)

    def whole(self, value: str, lone: bool = True) -> bool:
        """Is this whole value a person's name (a name field's value: "Priya Raman", "陈晓明", "Kim's iPhone")?

        `lone`: whether one given name alone counts ("Kwame" under `author` does; under `voice_name`, "Samantha"
        is more likely a product's name than a person's, so only full names count there).
        """
        value = value.strip()
        if not value or len(value) > 80:
            return False
        if value.isupper() and " " in value:
            value = value.title()  # "AMARA OKAFOR": caller ids, card holders and forms print names in capitals
        device = DEVICE.match(value)
        if device:
            value = device.group("n").strip()
            return bool(value) and (self.whole(value) or bool(WORDS.fullmatch(value)))  # named after its owner
        cjk = "".join(ch for ch in value if "\u2e80" <= ch <= "\ud7af")
        if cjk and len(cjk) >= len(value.replace(" ", "")) - 2:
            return self.cjk_name(cjk)
        parts = value.split()
        if not 1 <= len(parts) <= 4:
            return False
        if value.islower() and len(parts) >= 2:
            # "priya raman": names typed without capitals count when every word is a name and none a common word
            return self.first(parts[0].title()) and all(self._accepts(p.title()) for p in parts[1:])
        names = [p for p in parts if p.lower() not in PARTICLES]
        if not names or not all(WORDS.fullmatch(p) for p in names) or any(self.common(p) for p in names):
            return False
        if len(names) == 1:
            return lone and self.first(names[0])
        english = self.data.english
        if not all(self.known(p) or p.lower() not in english for p in names):
            return False  # "Rahul Verma Traders" is a shop named after a person: its name part is found in spans
        return self.first(names[0]) or self.known(names[-1]) or all(self.known(p) for p in names)


def merge_spans(a: list[tuple[int, int, str]], b: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Two span lists as one, sorted, without overlaps (the earlier span wins)."""
    if not b:
        return a
    out: list[tuple[int, int, str]] = []
    for span in sorted(a + b):
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def _decode(escaped: str) -> tuple[str, list[tuple[int, int]]]:
    """Decode a run of \\uXXXX escapes; for each decoded character, its (start, end) in the escaped text."""
    out, where, i = [], [], 0
    while i < len(escaped):
        if escaped.startswith("\\u", i):
            out.append(chr(int(escaped[i + 2 : i + 6], 16)))
            where.append((i, i + 6))
            i += 6
        else:
            out.append(escaped[i])
            where.append((i, i + 1))
            i += 1
    return "".join(out), where

