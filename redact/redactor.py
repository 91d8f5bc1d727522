"""The Redactor: one policy compiled once, applied to strings and structured values in either tier."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from redact.content import (
    MASKED,
    ONE_BIT,
    QUERY_STRING,
    content_token,
    enum_in_content,
    is_blob,
    is_label,
    is_subcommand,
    label_of_words,
    value_is_content,
)
from redact.deep import DeepTier
from redact.engine import Engine, propagate
from redact.explain import Remark, remarks
from redact.keys import FREE_TEXT, Treatment
from redact.model import Redacted, Tier
from redact.names import NameFinder, load, merge_spans
from redact.outcomes import FOUND_MAX_ENTRIES, FOUND_MAX_LEN, Outcome, outcome_key, places
from redact.policy import RULE_IDS, Policy, check_policy
from redact.rules import Context
from redact.rules.network import TENANT_SUFFIXES
from redact.rules.paths import CODE_MARKERS, DOC_EXTS
from redact.titles import DEFAULT_NAMES, redact_title
from redact.walk import Walker, device_value, json_text

# Values that cannot hold anything a rule looks for: lower-case enum words, numbers and versions,
# locales. They skip the scan entirely (most telemetry values are like this).
_SAFE = re.compile(
    rf"""(?x)
      (?!.*(?:macbook|imac|iphone|ipad|mac-mini|fritz\.box))                  # owner-named machines
      (?!.*\.(?:local|lan|home|internal|intranet|corp)\b)                       # LAN and intranet names
      (?!.*\.(?:{TENANT_SUFFIXES})\Z)                                     # a customer's subdomain (rules.network)
      (?!.*\.(?:{DOC_EXTS})\Z)                                           # report.pdf is a file name
      (?!sk[-_]|rk_|pk_|xox|gh[pousr]_|gl[a-z]{{1,6}}-|ya29|whsec_|hf_|npm_|dckr_|gsk_|r8_|shp|pypi-)  # key prefixes
      (?!gke_|cus_|acct_|ctm_|cust_)                                      # a GKE project, a customer id
      (?!.*[a-z0-9]{{21}})                                               # no long random-looking runs
      (?!(?:i|vol|eni|snap|sg|subnet|vpc|ip|ec2)-[0-9a-f]{{1,17}}(?:[-.]|\Z))  # cloud resource ids (rules.cloud)
      (?!.*\d\.\d{{1,3}}\.\d{{1,3}}\.\d)                                        # an IP inside a name: node-10.1.2.3.log
      (?!.*\d-\d{{1,3}}-\d{{1,3}}-\d{{1,3}}\.)                                      # reverse DNS: c-73-189-42-116.x.net
      [a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*                                 # split, dark_mode, gpt-4o-mini
    | [a-z]{{2,3}}(?:[-_][A-Z][a-z]{{3}})?(?:[-_](?:[A-Z]{{2}}|\d{{3}}))?       # en, en-US, zh_Hant_TW, es-419
    | -?\d{{1,9}}(?:\.\d{{1,9}}){{0,2}}                                        # 42, -1, 3.14, 1.4.2
    | [A-Za-z]?                                                         # empty, single letters
    """
)
SAFE_MAX = 48
# Treatments under which a plain key's number, boolean or remembered-clean string is copied as it is.
_COPY_CLEAN = frozenset(("default", "enum", "scrub"))
# Treatments whose values the deep tier's model never sees (values the client software generates or enums).
_NO_DEEP = frozenset(("keep", "enum"))
# Treatments that replace a value whole: a JSON document sent under them is not walked key by key.
_WHOLE = frozenset(("remove", "content"))
_CLEAN_MAX_LEN = 160  # clean strings up to this length are remembered (they contain nothing removable)
_CLEAN_MAX_ENTRIES = 65_536
# redact_columns' result: strings, numbers (as float) and booleans, by key.
Columns = tuple[dict[str, str], dict[str, float], dict[str, bool]]


class Redactor:
    """Applies a redaction policy to strings and structured values.

    Every call returns a `Redacted` with the new value and per-rule counts; removed text is never kept.
    """

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = check_policy(policy if policy is not None else Policy())
        enabled = self.policy.enabled()
        extra = tuple("/" + loc.lower().replace("\\", "/").strip("/") + "/" for loc in self.policy.code_locations)
        self._engine = Engine(enabled, self.policy.token_table(), CODE_MARKERS + extra)
        self.fields = self.policy.field_table()
        self._walker = Walker(self.fields, self._fast, max_depth=self.policy.max_depth,
                              max_items=self.policy.max_items)
        self._content = "content" in enabled
        self._names = NameFinder() if any(r.startswith("name.") for r in enabled) else None
        self._deep = DeepTier(self._names)
        self._name_word = self._names.name_word if self._names is not None else None
        if self._names is not None:
            names = self._names
            self._engine.person = lambda value: names.whole(value, lone=False)
        self._clean: dict[str, None] = {}
        # keyed digest of (treatment, text, names learned before it) -> outcome: see _fast_found
        self._found: dict[bytes, Outcome] = {}
        self._found_key = os.urandom(16)
        # Per key as sent: 1 = plain (copy numbers, booleans, clean strings), 2 = keep, 0 = walk it.
        self._plain_keys: dict[str, int] = {}

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id that can appear in findings (for pre-declaring metric labels)."""
        return RULE_IDS

    def redact_text(self, text: str, *, field: str | None = None, tier: Tier = "fast") -> Redacted[str]:
        ctx = self._engine.context()
        if field is not None and self.fields.sensitive(field) and not (ONE_BIT.fullmatch(text)
                                                                      or MASKED.fullmatch(text)
                                                                      or self.fields.stays(field, text,
                                                                                           load().english)):
            named = device_value(text, ctx) if self.fields.device(field) else None
            return Redacted(named if named is not None else self._drop(text, ctx), ctx.findings)
        return Redacted(self._text(text, field, ctx, tier), ctx.findings)

    def explain(self, text: str, *, field: str | None = None, tier: Tier = "fast") -> tuple[str, list[Remark]]:
        """The redacted text and one remark per replaced range: rule ids, [start, end), replacement token.

        For operators: why a value changed, without the removed text appearing anywhere.
        """
        result = self.redact_text(text, field=field, tier=tier)
        return result.value, remarks(text, result.value, self._engine.tokens, result.findings)

    def redact_value(self, value: Any, *, field: str | None = None, tier: Tier = "fast") -> Redacted[Any]:
        ctx = self._engine.context()
        walker = self._walker if tier == "fast" else self._deep_walker()
        return Redacted(walker.value(value, field, ctx), ctx.findings)

    def redact_mapping(self, mapping: Mapping[str, Any], *, tier: Tier = "fast") -> Redacted[dict[str, Any]]:
        if tier != "fast" or len(mapping) > self.policy.max_items:
            whole = self._engine.context()
            walker = self._walker if tier == "fast" else self._deep_walker()
            return Redacted(walker.mapping(mapping, whole), whole.findings)
        # The per-event hot path: plain keys with numbers or remembered-clean strings are copied as they are.
        out: dict[str, Any] = {}
        ctx: Context | None = None
        clean, plain = self._clean, self._plain_keys
        for key, value in mapping.items():
            how = plain.get(key)
            if how is None:
                how = self._plain(key)
            if how:
                kind = type(value)
                if kind is str:
                    if how == 2 or value in clean and (ctx is None or not ctx.learned):
                        out[key] = value
                        continue
                elif kind is int or kind is bool or kind is float:
                    out[key] = value
                    continue
            if ctx is None:
                ctx = self._engine.context()
            out[key if how else self._walker.key(key, ctx)] = self._walker.value(value, key, ctx, 1)
        if ctx is not None and ctx.learned:
            out = _swept(out, ctx)
        return Redacted(out, ctx.findings if ctx is not None else {})

    def redact_columns(self, mapping: Mapping[str, Any]) -> Redacted[Columns]:
        """Flat scalar values redacted straight into typed maps (strings, numbers as float, booleans), the shape
        of a columnar store: the same result as redact_mapping followed by routing each value on its type, in one
        pass (the per-event hot path of ingestion)."""
        if len(mapping) > self.policy.max_items:
            result = self.redact_mapping(mapping)
            return Redacted(_columns(result.value.items()), result.findings)
        strings: dict[str, str] = {}
        numbers: dict[str, float] = {}
        flags: dict[str, bool] = {}
        ctx: Context | None = None
        clean, plain = self._clean, self._plain_keys
        for key, value in mapping.items():
            kind = type(value)
            how = plain.get(key)
            if how is None:
                how = self._plain(key)
            if how:
                if kind is str:
                    if how == 2 or value in clean and (ctx is None or not ctx.learned):
                        strings[key] = value
                        continue
                elif kind is bool:
                    flags[key] = value
                    continue
                elif kind is int or kind is float:
                    numbers[key] = float(value)
                    continue
            if ctx is None:
                ctx = self._engine.context()
            new_key = key if plain.get(key) else self._walker.key(key, ctx)
            new = self._walker.value(value, key, ctx, 1)
            new_kind = type(new)
            if new_kind is str:
                strings[new_key] = new
            elif new_kind is bool:
                flags[new_key] = new
            else:
                numbers[new_key] = float(new)
        if ctx is not None and ctx.learned:
            strings = _swept(strings, ctx)
        return Redacted((strings, numbers, flags), ctx.findings if ctx is not None else {})

    # -- internals -----------------------------------------------------------------------------

    def _plain(self, key: Any) -> int:
        """How the hot path may treat a key's scalars: 1 copy clean ones, 2 keep as sent, 0 walk (memoised)."""
        how = 0
        if isinstance(key, str) and key.replace(".", "_").replace("$", "_").isidentifier():
            treatment = self.fields.treatment(key)
            how = 2 if treatment == "keep" else 1 if treatment in _COPY_CLEAN else 0
        if len(self._plain_keys) > _CLEAN_MAX_ENTRIES:
            self._plain_keys.clear()
        self._plain_keys[key] = how
        return how

    def _drop(self, value: Any, ctx: Context) -> Any:
        return ctx.hit("key.sensitive") if "key.sensitive" in ctx.enabled else value

    def _text(self, text: str, field: str | None, ctx: Context, tier: Tier) -> str:
        if tier == "fast":
            return self._fast(text, field, ctx)
        if tier != "deep":
            raise ValueError(f"unknown tier {tier!r} (expected 'fast' or 'deep')")
        if field is not None and self.fields.treatment(field) in _NO_DEEP:
            return self._fast(text, field, ctx)  # enum-like fields: the model has nothing to find there
        # The fast tier first, with the field's treatment (free text without a field is scrubbed, never replaced).
        out = self._fast(text, field, ctx)
        if len(out) <= SAFE_MAX and _SAFE.fullmatch(out):
            return out  # identifier-like ("posthog-ios", "dark_mode"): skip the model, it tags such words as names
        return self._deep.redact(out, ctx)

    def _fast(self, text: str, field: str | None, ctx: Context, free: bool = False) -> str:
        how: Treatment = FREE_TEXT if free or field is None else self.fields.treatment(field)
        if how == "keep":
            return text
        if len(text) > self.policy.max_text:
            ctx.hit("limit.size")
            text = text[: self.policy.max_text]
        # The clean shortcuts hold only while this call has learned no name: a value clean on its own ("alice9
        # pushed to main") is not once a home path in the same event taught that alice9 is a user name.
        if not ctx.learned and how in _COPY_CLEAN:
            if text in self._clean:
                return text
            if len(text) <= SAFE_MAX and _SAFE.fullmatch(text) and not self._named_slug(text, field):
                self._remember_clean(text)
                return text
        if ctx.depth or ctx.in_url or len(text) > FOUND_MAX_LEN:
            return self._fast_checked(text, field, how, ctx, free)
        return self._fast_found(text, field, how, ctx, free)

    def _fast_found(self, text: str, field: str | None, how: Treatment, ctx: Context, free: bool) -> str:
        """_fast_checked, remembered (redact/outcomes.py). Exact: at the top of a call the outcome depends on the
        treatment (a query box or not), whether a field is named and read as free text, the text and the names learned
        before it. A hit replays the findings and learns the taught names again from their places in the text."""
        learned = ctx.learned
        # A JSON text is walked only under a field; telemetry-only rules apply under a field not read as free text.
        query = "q" if how == "content" and field and self.fields.query(field) else ""
        kind = f"{how}{query}:{int(bool(field))}{int(free)}"  # <= 15 bytes: blake2b's person less outcome_key's mark
        digest = outcome_key(self._found_key, text, kind, learned)
        known = self._found.get(digest)
        if known is not None:
            out, found, taught = known
            for rule, count in found.items():
                ctx.findings[rule] = ctx.findings.get(rule, 0) + count
            for start, end, rule in taught:
                learned.setdefault(text[start:end], rule)
            return out
        before, names = dict(ctx.findings), len(learned)
        out = self._fast_checked(text, field, how, ctx, free)
        found = {rule: count - before.get(rule, 0) for rule, count in ctx.findings.items()
                 if count != before.get(rule, 0)}
        # Values without findings are left to the clean memo until a name is learned; after that, only this one
        # spares the other values of an event that carried a home path a full scan each.
        where = places(text, list(learned.items())[names:]) if len(learned) > names else ()
        if where is not None and (found or names):
            if len(self._found) >= FOUND_MAX_ENTRIES:
                self._found.clear()
            self._found[digest] = (out, found, where)
        return out

    def _fast_checked(self, text: str, field: str | None, how: Treatment, ctx: Context, free: bool) -> str:
        if ONE_BIT.fullmatch(text) or MASKED.fullmatch(text):
            return text  # "true", "null": one bit; "4111********1111": masked by the sender already
        if field and how not in _WHOLE and text[:1] in "{[" and (inner := json_text(text, self._walker, ctx)):
            return inner  # a JSON document sent as a string: its own keys choose their treatments
        if how in _COPY_CLEAN and DEFAULT_NAMES.fullmatch(text):
            return text  # a program's name for a new document ("Untitled.ipynb", "Book1.xlsx")
        was = ctx.telemetry, ctx.owner
        ctx.telemetry, ctx.owner = field is not None and not free, how == "repository"
        try:
            special = self._special(text, how, ctx, field)
            if special is not None:
                return special
            counts = sum(ctx.findings.values())
            out = self._scan(text, ctx, names=how != "enum")
        finally:
            ctx.telemetry, ctx.owner = was
        # Remember only what was checked strictly (content check included) and found nothing in.
        if out == text and len(text) <= _CLEAN_MAX_LEN and how == "default" and sum(ctx.findings.values()) == counts:
            self._remember_clean(text)
        return out

    def _special(self, text: str, how: Treatment, ctx: Context, field: str | None = None) -> str | None:
        """The treatments that may replace a value whole; None when the value goes on to the scan."""
        if how == "mention":
            return text if label_of_words(text.strip(), load().english) else self._drop(text, ctx)
        if not self._content:
            return None
        if how == "default":
            return content_token(ctx.hit("content"), text) if value_is_content(text) else None
        if how == "content":
            if is_label(text.strip(), self._name_word) or QUERY_STRING.fullmatch(text):
                return None  # a UI label, or a URL query string (the URL rules look at its values)
            if enum_in_content(text, load().english, bool(field) and self.fields.query(field or ""), self._name_word):
                return text  # empty, a MIME type, a status word ("accepted", "stdout"): nothing a person wrote
            return content_token(ctx.hit("content"), text)
        if how == "command":
            return None if is_subcommand(text) else content_token(ctx.hit("content"), text)
        if how == "title":
            if is_blob(text):
                return content_token(ctx.hit("content"), text)
            return redact_title(text, self._names, lambda part: content_token(ctx.hit("content"), part),
                                lambda part: self._scan(part, ctx))
        if how == "person" or how == "name":
            if self._names is not None and (self._names.whole(text, lone=how == "person")
                                            or self._names.handle(text.strip(), lone=how == "person")):
                return ctx.hit("name.field")
            return content_token(ctx.hit("content"), text) if value_is_content(text) else None
        return None

    def _scan(self, text: str, ctx: Context, names: bool = True) -> str:
        """The structural rules, then the name finder on what they left."""
        out = self._engine.scan(text, ctx)
        if names and self._names is not None:
            spans = self._names.spans(out)
            if ctx.telemetry and ("-" in out or "_" in out):
                spans = merge_spans(spans, self._names.slug_spans(out))
            if spans:
                out = self._replace(out, spans, ctx)
        return out

    def _replace(self, text: str, spans: list[tuple[int, int, str]], ctx: Context) -> str:
        parts, end = [], len(text)
        for start, stop, rule in reversed(spans):
            if rule not in ctx.enabled:
                continue
            parts.append(text[stop:end])
            parts.append(ctx.hit(rule))
            end = start
        parts.append(text[:end])
        return "".join(reversed(parts))

    def _named_slug(self, text: str, field: str | None) -> bool:
        """A telemetry slug with a person's names in it ("thesis-maria-gonzalez-final"): not safe to skip."""
        return (field is not None and self._names is not None and ("-" in text or "_" in text)
                and bool(self._names.slug_spans(text)))

    def _remember_clean(self, text: str) -> None:
        if len(self._clean) >= _CLEAN_MAX_ENTRIES:
            self._clean.clear()
        self._clean[text] = None

    def _deep_walker(self) -> Walker:
        def deep_text(text: str, field: str | None, ctx: Context) -> str:
            return self._text(text, field, ctx, "deep")

        return Walker(self.fields, deep_text, max_depth=self.policy.max_depth, max_items=self.policy.max_items,
                      key_text=self._fast)

    @property
    def ner_available(self) -> bool:
        """Whether the deep tier has a spaCy model for person/location detection (builds it if needed)."""
        return self._deep.ner


def _columns(items: Any) -> Columns:
    """Route redacted (key, value) pairs to the map of their type (exact checks: bool is an int subclass)."""
    strings: dict[str, str] = {}
    numbers: dict[str, float] = {}
    flags: dict[str, bool] = {}
    for key, value in items:
        kind = type(value)
        if kind is str:
            strings[key] = value
        elif kind is bool:
            flags[key] = value
        else:
            numbers[key] = float(value)
    return strings, numbers, flags


def _swept(value: Any, ctx: Context) -> Any:
    """A name learned from one value (the user of a home path) is removed from every value of the mapping, also
    those redacted before it was learned ("alice9 pushed to main" ahead of "/home/alice9/..."). Values redacted
    after it already lost it; the sweep finds nothing there."""
    if type(value) is str:
        return propagate(value, ctx)
    if isinstance(value, dict):
        return {key: _swept(item, ctx) for key, item in value.items()}
    if isinstance(value, list):
        return [_swept(item, ctx) for item in value]
    return value

