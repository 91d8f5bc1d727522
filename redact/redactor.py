"""The Redactor: one policy compiled once, applied to strings and structured values in either tier."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from redact.content import content_token, value_is_content
from redact.deep import DeepTier
from redact.engine import Engine
from redact.keys import KeyRules
from redact.model import Redacted, Tier
from redact.policy import Policy, check_policy
from redact.rules import RULE_IDS, Context
from redact.rules.paths import CODE_MARKERS, DOC_EXTS
from redact.walk import Walker

# Values that cannot hold anything a rule looks for: lower-case enum words, numbers and versions,
# locales. They skip the scan entirely (most telemetry values are like this).
_SAFE = re.compile(
    rf"""(?x)
      (?!.*(?:macbook|imac|iphone|ipad|mac-mini|\.local|\.lan|\.home))   # owner-named machines
      (?!.*\.(?:{DOC_EXTS})\Z)                                           # report.pdf is a file name
      (?!sk[-_]|rk_|pk_|xox|gh[pousr]_|gl[a-z]{{1,6}}-|ya29|whsec_|hf_|npm_|dckr_|gsk_|r8_|shp|pypi-)  # key prefixes
      (?!.*[a-z0-9]{{21}})                                               # no long random-looking runs
      (?!(?:i|vol|eni|snap|sg|subnet|vpc|ip|ec2)-[0-9a-f]{{1,17}}(?:[-.]|\Z))  # cloud resource ids (rules.cloud)
      (?!.*\d\.\d{{1,3}}\.\d{{1,3}}\.\d)                                        # an IP inside a name: node-10.1.2.3.log
      [a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*                                 # split, dark_mode, gpt-4o-mini
    | [a-z]{{2,3}}(?:[-_][A-Z][a-z]{{3}})?(?:[-_](?:[A-Z]{{2}}|\d{{3}}))?       # en, en-US, zh_Hant_TW, es-419
    | -?\d{{1,9}}(?:\.\d{{1,9}}){{0,2}}                                        # 42, -1, 3.14, 1.4.2
    | [A-Za-z]?                                                         # empty, single letters
    """
)
SAFE_MAX = 48
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
        self._keys = KeyRules(self.policy.sensitive_keys, self.policy.free_text_fields)
        self._walker = Walker(self._keys, self._fast, max_depth=self.policy.max_depth,
                              max_items=self.policy.max_items)
        self._deep = DeepTier(self._engine)
        self._content = "content" in enabled
        self._clean: dict[str, None] = {}
        self._plain_keys: dict[str, bool] = {}

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id that can appear in findings (for pre-declaring metric labels)."""
        return RULE_IDS

    def redact_text(self, text: str, *, field: str | None = None, tier: Tier = "fast") -> Redacted[str]:
        ctx = self._engine.context()
        if field is not None and self._keys.sensitive(field):
            return Redacted(self._drop(text, ctx), ctx.findings)
        return Redacted(self._text(text, field, ctx, tier), ctx.findings)

    def redact_value(self, value: Any, *, field: str | None = None, tier: Tier = "fast") -> Redacted[Any]:
        ctx = self._engine.context()
        walker = self._walker if tier == "fast" else self._deep_walker()
        return Redacted(walker.value(value, field, ctx), ctx.findings)

    def redact_mapping(self, mapping: Mapping[str, Any], *, tier: Tier = "fast") -> Redacted[dict[str, Any]]:
        if tier != "fast" or len(mapping) > self.policy.max_items:
            ctx = self._engine.context()
            walker = self._walker if tier == "fast" else self._deep_walker()
            return Redacted(walker.mapping(mapping, ctx), ctx.findings)
        # The per-event hot path: plain keys with numbers or remembered-clean strings are copied as they are.
        out: dict[str, Any] = {}
        ctx: Context | None = None
        clean, plain = self._clean, self._plain_keys
        for key, value in mapping.items():
            kind = type(value)
            if (plain.get(key) or self._plain(key)) and (
                (kind is str and value in clean) or kind is int or kind is bool or kind is float
            ):
                out[key] = value
                continue
            if ctx is None:
                ctx = self._engine.context()
            out[key if plain.get(key) else self._walker.key(key, ctx)] = self._walker.value(value, key, ctx, 1)
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
            if plain.get(key) or self._plain(key):
                if kind is str:
                    if value in clean:
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
        return Redacted((strings, numbers, flags), ctx.findings if ctx is not None else {})

    # -- internals -----------------------------------------------------------------------------

    def _plain(self, key: Any) -> bool:
        """A key that is not sensitive and needs no scan of its own (memoised)."""
        ok = isinstance(key, str) and not self._keys.sensitive(key) and key.replace(".", "_").isidentifier()
        if len(self._plain_keys) > _CLEAN_MAX_ENTRIES:
            self._plain_keys.clear()
        self._plain_keys[key] = ok
        return ok

    def _drop(self, value: Any, ctx: Context) -> Any:
        return ctx.hit("key.sensitive") if "key.sensitive" in ctx.enabled else value

    def _text(self, text: str, field: str | None, ctx: Context, tier: Tier) -> str:
        if tier == "fast":
            return self._fast(text, field, ctx)
        if tier != "deep":
            raise ValueError(f"unknown tier {tier!r} (expected 'fast' or 'deep')")
        # The deep tier is for crash free text: scrubbed inside, never replaced as content.
        return self._deep.redact(self._fast(text, field, ctx, free=True), ctx)

    def _fast(self, text: str, field: str | None, ctx: Context, free: bool = False) -> str:
        if len(text) > self.policy.max_text:
            ctx.hit("limit.size")
            text = text[: self.policy.max_text]
        if text in self._clean:
            return text
        if len(text) <= SAFE_MAX and _SAFE.fullmatch(text):
            self._remember_clean(text)
            return text
        # Only a named field that is not declared free text can hold "content"; text with no field
        # (crash and context strings) is scrubbed inside, never replaced whole.
        free = free or field is None or self._keys.free_text(field)
        if self._content and not free and value_is_content(text):
            return content_token(ctx.hit("content"), text)
        counts = sum(ctx.findings.values())
        out = self._engine.scan(text, ctx)
        # Remember only what was checked strictly (content check included) and found nothing in.
        if out == text and len(text) <= _CLEAN_MAX_LEN and field is not None and not free \
                and sum(ctx.findings.values()) == counts:
            self._remember_clean(text)
        return out

    def _remember_clean(self, text: str) -> None:
        if len(self._clean) >= _CLEAN_MAX_ENTRIES:
            self._clean.clear()
        self._clean[text] = None

    def _deep_walker(self) -> Walker:
        def deep_text(text: str, field: str | None, ctx: Context) -> str:
            return self._text(text, field, ctx, "deep")

        return Walker(self._keys, deep_text, max_depth=self.policy.max_depth, max_items=self.policy.max_items)

    @property
    def ner_available(self) -> bool:
        """Whether the deep tier has a spaCy model for person/location detection (builds it if needed)."""
        self._deep.analyzer()
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
