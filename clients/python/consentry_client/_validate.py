"""Checks on event names, props and context values: the collector's patterns and limits (see _limits.py), with a
clear exception at the call site instead of a batch the collector would refuse."""

from __future__ import annotations

import math
import re
from typing import Any, Union

from consentry_client import _limits

PropValue = Union[str, int, float, bool]

_MEMO_LIMIT = 10_000  # distinct valid names / keys remembered; past it, values are just re-matched


class ValidationError(ValueError):
    """An event, prop or context value the collector would refuse (422 `invalid_field`); `field` names it as the
    collector would (`name`, `props.mode`, `context.app`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class _Pattern:
    """A collector pattern, matched on the whole value and memoised (names and keys repeat on every call).

    The collector matches with `re.match` and a trailing `$`, which also accepts one trailing newline; the client
    matches the whole string, so such a value is refused here instead of being stored with its newline."""

    def __init__(self, pattern: str, what: str) -> None:
        self.regex = re.compile(pattern)
        self.what = what
        self.valid: set[str] = set()

    def check(self, value: Any, field: str) -> None:
        if value in self.valid:
            return
        if type(value) is not str:
            raise ValidationError(field, f"must be a string, not {type(value).__name__}")
        if not self.regex.fullmatch(value):
            raise ValidationError(field, f"{value!r} is not a valid {self.what} (pattern {self.regex.pattern})")
        if len(self.valid) < _MEMO_LIMIT:
            self.valid.add(value)


EVENT_NAME = _Pattern(_limits.EVENT_NAME_PATTERN, "event name")
PROP_KEY = _Pattern(_limits.PROP_KEY_PATTERN, "property key")
CONTEXT_VALUE = _Pattern(_limits.CONTEXT_VALUE_PATTERN, "context value")


def check_name(name: Any) -> None:
    if name in EVENT_NAME.valid:
        return
    if type(name) is str and len(name) > _limits.EVENT_NAME_MAX_LENGTH:
        raise ValidationError("name", f"is {len(name)} characters, over {_limits.EVENT_NAME_MAX_LENGTH}")
    EVENT_NAME.check(name, "name")


def check_string(value: str, field: str) -> None:
    if len(value) > _limits.MAX_STRING_LENGTH:
        raise ValidationError(field, f"is {len(value)} characters, over {_limits.MAX_STRING_LENGTH}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(field, "is not valid Unicode text (lone surrogate)") from None


def check_props(props: dict[str, Any]) -> dict[str, PropValue]:
    """The props as the collector would accept them; raises ValidationError naming the first bad one."""
    if len(props) > _limits.MAX_PROPS_PER_EVENT:
        raise ValidationError("props", f"has {len(props)} keys, over {_limits.MAX_PROPS_PER_EVENT}")
    known = PROP_KEY.valid
    for key, value in props.items():
        if key not in known:
            PROP_KEY.check(key, "props key")
        kind = type(value)
        if kind is str:
            check_string(value, f"props.{key}")
        elif kind is bool:
            pass
        elif kind is int:
            if not _limits.PROP_INT_MIN <= value <= _limits.PROP_INT_MAX:
                raise ValidationError(f"props.{key}", "is an integer outside the 64-bit range the collector stores")
        elif kind is float:
            if not math.isfinite(value):
                raise ValidationError(f"props.{key}", f"{value!r} is not a finite number (JSON has no NaN or inf)")
        else:
            raise ValidationError(
                f"props.{key}", f"must be a string, number or bool (no nesting, no None), not {kind.__name__}")
    return props


def check_context_value(value: Any, field: str) -> str:
    CONTEXT_VALUE.check(value, f"context.{field}")
    return value  # type: ignore[no-any-return]


def context_value_or_none(value: str) -> str | None:
    """A platform string (an OS version, say) made to fit the context pattern, or None when nothing fits."""
    cleaned = re.sub(r"[^A-Za-z0-9 ._+()/-]", "", value).strip(" ._+()/-")[:64]
    return cleaned if cleaned and CONTEXT_VALUE.regex.fullmatch(cleaned) else None


def check_policy_version(value: str) -> str:
    """The registry's pattern (stricter than the 64 characters events allow), so one value fits both."""
    if type(value) is not str or len(value) > _limits.POLICY_VERSION_MAX_LENGTH or not re.fullmatch(
            _limits.CONSENT_POLICY_VERSION_PATTERN, value):
        raise ValidationError("policy_version", f"{value!r} does not match {_limits.CONSENT_POLICY_VERSION_PATTERN}")
    return value
