"""The redaction policy: a typed value object, defaults built in, overrides loaded from TOML or JSON."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated

import msgspec

from redact.keys import FieldTable, FieldTableError, load_defaults, load_words
from redact.names import RULE_TOKENS as NAME_TOKENS
from redact.rules import DEFAULT_TOKENS as RULE_TOKENS
from redact.rules import RULE_IDS as PATTERN_AND_REPORTED_IDS

# Every id a finding can carry: the rule table's, and the name finder's (this package adds them here so the
# rule families stay independent of it).
DEFAULT_TOKENS: dict[str, str] = {**RULE_TOKENS, **NAME_TOKENS}
RULE_IDS: tuple[str, ...] = (*PATTERN_AND_REPORTED_IDS, *(r for r in NAME_TOKENS if r not in RULE_TOKENS))


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the offending key."""


class Policy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to redact and how. Every field is optional; an empty policy means all defaults.

    rules:            rule id -> enabled (every rule is on unless turned off here)
    tokens:           rule id -> replacement token ("{n}" in the content token is the length)
    code_locations:   extra path fragments marking third-party code, kept in paths ("/opt/myapp/lib/")
    fields:           field selector -> treatment, over the shipped table (redact/data/fields.toml)
    sensitive_keys:   extra field names whose values are removed whole (the same as fields {name = "remove"})
    free_text_fields: extra field names whose text is scrubbed, never replaced whole (fields {name = "scrub"})
    max_depth:        nesting depth the walker descends; deeper values become the limit token
    max_items:        entries kept per mapping or list; the rest are dropped and counted
    max_text:         characters kept per string; the rest is cut off and counted
    """

    rules: dict[str, bool] = msgspec.field(default_factory=dict)
    tokens: dict[str, str] = msgspec.field(default_factory=dict)
    code_locations: tuple[str, ...] = ()
    fields: dict[str, str] = msgspec.field(default_factory=dict)
    sensitive_keys: tuple[str, ...] = ()
    free_text_fields: tuple[str, ...] = ()
    max_depth: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 32
    max_items: Annotated[int, msgspec.Meta(ge=1)] = 10_000
    max_text: Annotated[int, msgspec.Meta(ge=64)] = 1_000_000

    def enabled(self) -> frozenset[str]:
        return frozenset(rid for rid in RULE_IDS if self.rules.get(rid, True))

    def token_table(self) -> dict[str, str]:
        return {**DEFAULT_TOKENS, **self.tokens}

    def field_table(self) -> FieldTable:
        """The shipped field table with this policy's overrides, validated (PolicyError names the key)."""
        try:
            return FieldTable(load_defaults(), self.fields, remove=self.sensitive_keys, scrub=self.free_text_fields,
                              words=load_words())
        except FieldTableError as exc:
            raise PolicyError(str(exc)) from None


def check_policy(policy: Policy, source: str = "policy") -> Policy:
    """Fail closed: a rule id we do not know is an error, never a silent no-op."""
    for table in ("rules", "tokens"):
        for rid in getattr(policy, table):
            if rid not in DEFAULT_TOKENS:
                raise PolicyError(f"{source}: {table}.{rid}: unknown rule id {rid!r} (known: {', '.join(RULE_IDS)})")
    try:
        policy.field_table()
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from None
    for rid, token in policy.tokens.items():
        if not token:
            raise PolicyError(f"{source}: tokens.{rid}: token must not be empty")
    for i, loc in enumerate(policy.code_locations):
        if not loc.strip("/\\ "):
            raise PolicyError(f"{source}: code_locations[{i}]: empty code location would match every path")
    return policy


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read a policy from a .toml or .json file; any problem raises PolicyError naming the key."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read policy: {exc.strerror}") from None
    try:
        data = json.loads(raw) if p.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
    _check_tables(data, p)
    try:
        policy = msgspec.convert(data, Policy)
    except msgspec.ValidationError as exc:
        raise PolicyError(f"{p}: {_name_key(str(exc))}") from None
    return check_policy(policy, str(p))


def _check_tables(data: object, p: Path) -> None:
    """msgspec reports a bad dict value as `rules[...]`; name the exact key instead."""
    if not isinstance(data, dict):
        raise PolicyError(f"{p}: a policy is a table of options, not {type(data).__name__}")
    for table, kind in (("rules", bool), ("tokens", str), ("fields", str)):
        for key, value in (data.get(table) or {}).items() if isinstance(data.get(table), dict) else ():
            if not isinstance(value, kind):
                raise PolicyError(f"{p}: {table}.{key}: expected {kind.__name__}, got {type(value).__name__}")


def _name_key(message: str) -> str:
    """msgspec says "... - at `$.rules.email`"; say "rules.email: ..." instead."""
    text, sep, where = message.partition(" - at `$")
    if sep:
        return f"{where.rstrip('`').lstrip('.')}: {text}"
    return message
