"""Fast-tier redaction of crash reports on the app's machine, before a report is written to disk or previewed.

With Consentry's `redact` library installed (Python 3.11+), the same fast tier the collector runs, with the same
fields: frame module / function / file, exception type and breadcrumbs as crash text (`field=None`), the
exception message as `exception.message`, `extra` as a mapping. Without it, a minimal fallback that removes home
directories, user names in paths and e-mail addresses, with the same tokens. The collector redacts again (fast and
deep tier), so this only ever removes more before the user sees the preview."""

from __future__ import annotations

import os
import re
from typing import Any, Callable

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_POSIX_HOME = re.compile(r"(?<![\w.~-])(?:/home|/Users)/[^/\s\"':]+")
_WINDOWS_USER = re.compile(r"(?i)\b([A-Z]:[\\/]+(?:Users|Documents and Settings)[\\/]+)[^\\/\s\"':]+")


class Scrubber:
    """Text in, redacted text out; `library` says whether Consentry's `redact` library does the work."""

    def __init__(self, text: Callable[[str, str | None], str], mapping: Callable[[dict[str, str]], dict[str, Any]],
                 library: bool) -> None:
        self.text = text
        self.mapping = mapping
        self.library = library


def _basic_text(value: str, field: str | None = None) -> str:
    home = os.path.expanduser("~")
    if len(home) > 1 and home in value:
        value = value.replace(home, "~")
    value = _POSIX_HOME.sub("~", value)
    value = _WINDOWS_USER.sub(lambda m: m.group(1) + "[user]", value)
    return _EMAIL.sub("[email]", value)


def basic() -> Scrubber:
    return Scrubber(_basic_text, lambda values: {k: _basic_text(v) for k, v in values.items()}, library=False)


_cached: Scrubber | None = None


def scrubber(prefer_library: bool = True) -> Scrubber:
    """The `redact` library's fast tier when it can be imported, else the fallback."""
    global _cached
    if not prefer_library:
        return basic()
    if _cached is None:
        try:
            from redact import Redactor  # type: ignore[import-not-found,unused-ignore]

            redactor = Redactor()
        except Exception:  # not installed, or Python older than the library needs: the fallback still applies
            _cached = basic()
        else:
            def text(value: str, field: str | None = None) -> str:
                return str(redactor.redact_text(value, field=field).value)

            def mapping(values: dict[str, str]) -> dict[str, Any]:
                return dict(redactor.redact_mapping(values).value)

            _cached = Scrubber(text, mapping, library=True)
    return _cached
