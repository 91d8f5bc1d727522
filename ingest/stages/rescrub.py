"""The current redaction rules applied to rows already stored: the Reredactor the re-scrub job is handed
(storage/jobs/rescrub.py; storage does not import redact, so the job receives this through JobContext).

Each stored value goes through the same call the pipeline makes for a new one: event props through
Redactor.redact_columns (field-aware, numbers and booleans included, since a key the rules now call sensitive
turns its value into a removal token), the batch context through redact_text with its field name, crash text
through the crash stage's scrubber (fast tier for code identifiers, fast then deep for free text, cached).

What is stored is already redacted once. A value that is wholly one removal token (`[email]`, `[content:42
chars]`) is final: nothing is left in it to find, and running it again would only rewrite the token (a content
field would count the token's own length). A row whose values all come back the same is reported unchanged (None)
and its counts stay; a changed row keeps its old counts plus what the current rules found in it.
"""

from __future__ import annotations

import re
from collections import Counter

import msgspec

from ingest.stages.redact_crash import _Scrubber
from redact import Redactor
from redact.version import REDACTION_VERSION
from storage.jobs.rescrub import CONTEXT, StoredCrash, StoredEvent
from storage.rows import FrameRow


class Reredaction:
    """One Redactor's rules for stored rows, under REDACTION_VERSION."""

    def __init__(self, redactor: Redactor, version: int = REDACTION_VERSION) -> None:
        self._redactor = redactor
        self._version = version
        tokens = sorted({t for t in redactor.policy.token_table().values() if t.startswith("[")}, key=len)
        self._token = re.compile("|".join(re.escape(t).replace(r"\{n\}", r"\d+") for t in reversed(tokens)))
        self._context: dict[tuple[str, ...], tuple[list[str], dict[str, int], bool]] = {}

    @property
    def version(self) -> int:
        return self._version

    def _final(self, value: str) -> bool:
        return self._token.fullmatch(value) is not None

    def _context_of(self, row: StoredEvent | StoredCrash) -> tuple[list[str], dict[str, int], bool]:
        """The six batch-level strings redacted with their field names, what was found, and whether any changed
        (few distinct sets: memoised for the run)."""
        key = (row.app, row.app_version, row.os, row.os_version, row.device_type, row.policy_version)
        cached = self._context.get(key)
        if cached is None:
            values, found = [], Counter[str]()
            for name, value in zip(CONTEXT, key, strict=True):
                result = self._redactor.redact_text(value, field=name)
                values.append(result.value)
                found.update(result.findings)
            cached = (values, dict(found), tuple(values) != key)
            if len(self._context) < 65_536:
                self._context[key] = cached
        return cached

    def event(self, row: StoredEvent) -> StoredEvent | None:
        context, context_found, context_changed = self._context_of(row)
        stored = row.props_str
        mapping: dict[str, str | float | bool] = {**stored, **row.props_num, **row.props_bool}
        final: dict[str, str] | None = None
        for key, value in stored.items():
            if value[:1] == "[" and self._final(value):  # every token starts with "[": the regex runs rarely
                final = final or {}
                final[key] = value
                del mapping[key]
        result = self._redactor.redact_columns(mapping)
        strings, numbers, flags = result.value
        if final:
            strings.update(final)
        if not context_changed and strings == stored and numbers == row.props_num and flags == row.props_bool:
            return None
        found = Counter(context_found)
        found.update(result.findings)
        app, app_version, os, os_version, device_type, policy_version = context
        return StoredEvent(row.event_id, app, app_version, os, os_version, device_type, policy_version, strings,
                           numbers, flags, _merged(row.redactions, found))

    def crash(self, row: StoredCrash) -> StoredCrash | None:
        scrub = _Scrubber(self._redactor)
        context, context_found, _ = self._context_of(row)
        found = Counter(context_found)

        def text(value: str) -> str:
            return value if self._final(value) else scrub.text(value)

        final_extra = {key: value for key, value in row.extra.items() if self._final(value)}
        extra = scrub.extra({k: v for k, v in row.extra.items() if k not in final_extra})
        extra.update(final_extra)
        message = row.exception_message
        new = msgspec.structs.replace(
            row, app=context[0], app_version=context[1], os=context[2], os_version=context[3],
            device_type=context[4], policy_version=context[5], exception_type=text(row.exception_type),
            exception_message=message if self._final(message) else scrub.prose(message, "exception.message"),
            frames=[FrameRow(text(f.module), text(f.function), text(f.file), f.line, f.in_app) for f in row.frames],
            breadcrumbs=[text(b) for b in row.breadcrumbs], extra=extra,
            dump_modules=[text(m) for m in row.dump_modules])
        if new == row:
            return None
        found.update(scrub.findings)
        return msgspec.structs.replace(new, redactions=_merged(row.redactions, found))

    def attachment(self, text: str) -> tuple[str, dict[str, int]]:
        scrub = _Scrubber(self._redactor)
        clean = scrub.prose(text, "log")  # as the crash stage redacts a new attachment: free text, both tiers
        return (text, {}) if clean == text else (clean, dict(scrub.findings))


def _merged(old: dict[str, int], found: Counter[str]) -> dict[str, int]:
    merged = dict(old)
    for rule, count in found.items():
        if count:
            merged[rule] = merged.get(rule, 0) + count
    return merged
