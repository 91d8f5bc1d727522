"""Which keys hold sensitive values (dropped whole) and which fields are declared free text."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Dropped whenever the key's last word is one of these: prompt_tokens and content_type stay.
LAST_WORDS = frozenset(
    """prompt prompts completion completions response responses messages content contents document documents
    attachment attachments clipboard body password passwd pwd passphrase secret secrets token authorization
    auth cookie cookies credential credentials transcript email ssn""".split()
)
# Dropped wherever they appear in the key: nothing named like this is safe to keep.
ANY_WORDS = frozenset("password passwd passphrase secret secrets cookie cookies authorization credentials".split())
# Two-word names whose last word alone (key, input, content) is too common to drop.
PAIRS = frozenset(
    """api_key apikey private_key secret_key access_key file_content user_input input_text output_text
    set_cookie session_token access_token refresh_token id_token search_query user_name
    full_name first_name last_name display_name phone_number email_address""".split()
)
FREE_TEXT = frozenset(
    """message error error_message errmsg exception exception_message exception_value reason crash_reason
    stack stacktrace stack_trace traceback backtrace log logs log_message culprit""".split()
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[_\-\s]+")


def normalize(key: str) -> str:
    """`llm.requestBody` -> `request_body`: the last dotted segment, snake_case, lower case."""
    last = key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    return _SPLIT.sub("_", _CAMEL.sub("_", last)).strip("_").lower()


class KeyRules:
    """Answers "is this key sensitive?" and "is this field free text?", memoised per key."""

    def __init__(self, extra_sensitive: Iterable[str] = (), extra_free_text: Iterable[str] = ()) -> None:
        self._extra = frozenset(normalize(k) for k in extra_sensitive)
        self._free = FREE_TEXT | frozenset(normalize(k) for k in extra_free_text)
        self._free_exact = frozenset(extra_free_text)
        self._sensitive_memo: dict[str, bool] = {}
        self._free_memo: dict[str, bool] = {}

    def sensitive(self, key: str) -> bool:
        hit = self._sensitive_memo.get(key)
        if hit is None:
            hit = self._sensitive_memo[key] = self._decide(normalize(key))
            if len(self._sensitive_memo) > 65536:
                self._sensitive_memo.clear()
        return hit

    def _decide(self, name: str) -> bool:
        if name in self._extra or name in PAIRS or name in LAST_WORDS:
            return True
        words = name.split("_")
        if words[-1] in LAST_WORDS or "_".join(words[-2:]) in PAIRS:
            return True
        return any(w in ANY_WORDS for w in words)

    def free_text(self, field: str) -> bool:
        hit = self._free_memo.get(field)
        if hit is None:
            hit = field in self._free_exact or normalize(field) in self._free
            self._free_memo[field] = hit
            if len(self._free_memo) > 65536:
                self._free_memo.clear()
        return hit
