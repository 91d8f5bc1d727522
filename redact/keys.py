"""The field table: which treatment a field's values get, from selectors declared as data (data/fields.toml)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from redact.content import label_of_words

DATA = Path(__file__).with_name("data") / "fields.toml"
WORDS = Path(__file__).with_name("data") / "field_words.toml"
Treatment = Literal["keep", "enum", "scrub", "repository", "default", "content", "command", "title", "name",
                    "person", "mention", "remove"]
TREATMENTS: tuple[Treatment, ...] = ("keep", "enum", "scrub", "repository", "default", "content", "command", "title",
                                     "name", "person", "mention", "remove")
# Free crash and context text (no field): scrubbed inside, never replaced whole.
FREE_TEXT: Treatment = "scrub"

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[_\-\s$]+")
_SEGMENTS = re.compile(r"[./]")
_SELECTOR = re.compile(r"[a-z0-9_*]+(?:\.[a-z0-9_*]+)*")


class FieldTableError(ValueError):
    """A field table entry that cannot be used; the message names the selector."""


def normalize(key: str) -> str:
    """`llm.requestBody` -> `llm.request_body`, `$set.name` -> `set.name`, `Machine ID` -> `machine_id`."""
    segments = (_SPLIT.sub("_", _CAMEL.sub("_", s)).strip("_").lower() for s in _SEGMENTS.split(key))
    return ".".join(s for s in segments if s)


def load_defaults(path: Path = DATA) -> dict[str, Treatment]:
    """The shipped table as selector -> treatment; a selector listed under two treatments is an error."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    table: dict[str, Treatment] = {}
    for treatment, selectors in raw.items():
        for selector in selectors:
            if selector in table:
                raise FieldTableError(f"{path.name}: {selector!r} is listed under {table[selector]} and {treatment}")
            table[selector] = check_treatment(selector, treatment)
    return table


def check_treatment(selector: str, treatment: object) -> Treatment:
    if treatment not in TREATMENTS:
        raise FieldTableError(f"fields.{selector}: unknown treatment {treatment!r} (known: {', '.join(TREATMENTS)})")
    if not _SELECTOR.fullmatch(selector):
        raise FieldTableError(f"fields.{selector}: a selector is a normalised field name with optional * and dots "
                              f"(lower case, snake_case: 'window_title', '*_url', 'user.id')")
    return treatment


@dataclass(frozen=True, slots=True)
class FieldWords:
    """The words of a field's name that decide its treatment when no selector matches (data/field_words.toml)."""

    holders: frozenset[str]
    anywhere: frozenset[str]  # the scrub words: they decide wherever they stand in the name
    head: Mapping[str, Treatment]
    queries: frozenset[str] = frozenset()
    chosen: frozenset[str] = frozenset()
    secret: frozenset[str] = frozenset()
    placeholders: frozenset[str] = frozenset()

    def kept_kind(self, path: str) -> Literal["none", "placeholder", "label"]:
        """Which values a removed field keeps: none (secrets), placeholders (what a person chose), or
        dictionary-word labels too (what a device or a form records: e-mail, phone, place, ids)."""
        words = [w for w in re.split(r"[._]", path) if w]
        if any(w in self.secret for w in words):
            return "none"
        return "placeholder" if any(w in self.chosen for w in words) else "label"

    def treatment(self, path: str) -> Treatment:
        words = [w for w in re.split(r"[._]", path) if w]
        if any(w in self.anywhere for w in words):
            return "scrub"
        for word in reversed(words):
            if word in self.holders:
                continue
            return self.head.get(word, "default")
        return "default"


def load_words(path: Path = WORDS) -> FieldWords:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    head: dict[str, Treatment] = {}
    for treatment in ("content", "title", "remove"):
        for word in raw.get(treatment, ()):
            head[word] = check_treatment(word, treatment)
    lists = {key: frozenset(raw.get(key, ())) for key in ("holders", "scrub", "queries", "chosen", "secret",
                                                          "placeholders")}
    return FieldWords(lists["holders"], lists["scrub"], head, lists["queries"], lists["chosen"], lists["secret"],
                      lists["placeholders"])


@dataclass(frozen=True, slots=True)
class _Glob:
    regex: re.Pattern[str]
    dotted: bool
    treatment: Treatment


class FieldTable:
    """Answers "which treatment does this field get?", memoised per field name as sent."""

    def __init__(self, entries: Mapping[str, str], overrides: Mapping[str, str] | None = None,
                 remove: Iterable[str] = (), scrub: Iterable[str] = (), words: FieldWords | None = None) -> None:
        table: dict[str, Treatment] = {s: check_treatment(s, t) for s, t in entries.items()}
        listed: tuple[tuple[Iterable[str], Treatment], ...] = ((remove, "remove"), (scrub, "scrub"))
        for names, treatment in listed:
            table.update({normalize(n): treatment for n in names})
        table.update({s: check_treatment(s, t) for s, t in dict(overrides or {}).items()})
        self.entries = table
        self._exact = {s: t for s, t in table.items() if "*" not in s}
        globs = sorted((s for s in table if "*" in s), key=lambda s: (-len(s.replace("*", "")), s))
        self._globs = [_Glob(re.compile(re.escape(s).replace(r"\*", ".*")), "." in s, table[s]) for s in globs]
        self._memo: dict[str, Treatment] = {}
        self._words = words
        self._kinds: dict[str, Literal["none", "placeholder", "label"]] = {}
        self._queries: dict[str, bool] = {}

    def treatment(self, field: str) -> Treatment:
        hit = self._memo.get(field)
        if hit is None:
            if len(self._memo) > 65536:
                self._memo.clear()
            hit = self._memo[field] = self._decide(normalize(field))
        return hit

    def _decide(self, path: str) -> Treatment:
        """Selectors naming a parent object first (the object says what family its fields belong to:
        `user.id`, `*campaign.*`), then the field's own name. A dotted selector matches the path or any tail of
        it that starts at a segment (`user.id` matches `context.user.id`)."""
        segments = path.split(".")
        tails = [".".join(segments[i:]) for i in range(len(segments) - 1)]
        for tail in tails:
            exact = self._exact.get(tail)
            if exact is not None:
                return exact
        if tails:
            for glob in self._globs:
                if glob.dotted and any(glob.regex.fullmatch(t) for t in tails):
                    return glob.treatment
        last = segments[-1]
        exact = self._exact.get(last)
        if exact is not None:
            return exact
        for glob in self._globs:
            if not glob.dotted and glob.regex.fullmatch(last):
                return glob.treatment
        return self._words.treatment(path) if self._words is not None else "default"

    def sensitive(self, field: str) -> bool:
        return self.treatment(field) == "remove"

    def query(self, field: str) -> bool:
        """A field that takes what a person typed into a search, filter or find box (its words say so)."""
        hit = self._queries.get(field)
        if hit is None:
            if len(self._queries) > 65536:
                self._queries.clear()
            words = re.split(r"[._]", normalize(field))
            hit = self._queries[field] = self._words is not None and any(w in self._words.queries for w in words)
        return hit

    def stays(self, field: str, value: str, english: frozenset[str]) -> bool:
        """A string under a removed field that is a program's status, not the personal value the field names:
        a placeholder ("anonymous", "not_set") unless the field is a secret, and for what a device or a form
        records (e-mail, phone, place, ids) a label of dictionary words ("verified", "denied")."""
        if self._words is None:
            return False
        kind = self._kinds.get(field)
        if kind is None:
            if len(self._kinds) > 65536:
                self._kinds.clear()
            kind = self._kinds[field] = self._words.kept_kind(normalize(field))
        if kind == "none":
            return False
        v = value.strip()
        if v.lower() in self._words.placeholders:
            return True
        return kind == "label" and not v.isdigit() and "." not in v and label_of_words(v, english)

    def device(self, field: str) -> bool:
        """A field holding the name a device shows (`$device_name`, `device.name`): its make and model stay, the
        owner's name in a default name goes, anything else the owner chose is removed."""
        path = normalize(field)
        return path.endswith(("device_name", "device.name")) and self.treatment(field) == "remove"

    def is_id(self, field: str) -> bool:
        """An identifier field (`user_id`, `distinct_id`, `user.id`, `uid`): its value is an id, maybe with a kind."""
        last = normalize(field).rsplit(".", 1)[-1]
        return last.endswith("id")


def markdown_table(table: Mapping[str, str]) -> str:
    """The table as the Markdown list in redact/README.md (a test keeps the two the same)."""
    by: dict[str, list[str]] = {t: [] for t in TREATMENTS}
    for selector, treatment in table.items():
        by[treatment].append(f"`{selector}`")
    rows = ["| treatment | selectors |", "| --- | --- |"]
    rows += [f"| {t} | {', '.join(by[t])} |" for t in TREATMENTS if by[t]]
    return "\n".join(rows)
