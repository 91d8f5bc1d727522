"""The memo of values the fast tier found something in: a value seen again gives what a fresh scan gives (value and
findings; names learned from it still reach the rest of the call), and the memo keeps no text that was removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from redact import Redactor

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "real"
PERSONAL = ["/home/alice9/src/api/main.py", "could not notify bob.smith@example.org: mailbox full",
            r"C:\Users\Chen Wei\AppData\Local\app.exe", "ssh: connect to host 10.15.92.17 port 22: refused",
            "token=ghp_" + "a" * 36, "https://bob:hunter2@example.com/x?email=a@b.co", "alice9"]


def _without_memo() -> Redactor:
    """The same Redactor with every value scanned afresh (its clean-value memo still works as usual)."""
    redactor = Redactor()
    redactor._fast_found = redactor._fast_checked  # type: ignore[method-assign]
    return redactor


def _corpus_texts() -> list[tuple[str | None, str]]:
    cases = [json.loads(line) for path in sorted(CORPUS.glob("*/*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    return [(case["field"], case["text"]) for case in cases]


def test_every_corpus_text_redacts_the_same_when_remembered() -> None:
    remembering, scanning = Redactor(), _without_memo()
    texts = _corpus_texts()
    assert len(texts) > 200
    for _ in range(2):  # the second pass is served from the memo wherever the first found something
        for field, text in texts:
            fresh = scanning.redact_text(text, field=field)
            again = remembering.redact_text(text, field=field)
            assert (again.value, dict(again.findings)) == (fresh.value, dict(fresh.findings)), text[:80]
    assert remembering._found  # the memo was used


KEYS = st.sampled_from(["file_path", "error", "note", "email", "mode", "url", "message", "branch"])
VALUES = st.one_of(st.sampled_from(PERSONAL + ["split", "alice9 pushed to main", "feature/alice9-fix"]),
                   st.text(max_size=30))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(KEYS, VALUES, max_size=5), min_size=1, max_size=4))
def test_mappings_redact_the_same_when_remembered(events: list[dict[str, Any]]) -> None:
    """Names learned from one value still reach the others of the same event (a remembered value replays
    them), whatever was seen before."""
    remembering, scanning = Redactor(), _without_memo()
    for props in events + events:
        fresh = scanning.redact_columns(props)
        again = remembering.redact_columns(props)
        assert again.value == fresh.value
        assert dict(again.findings) == dict(fresh.findings)


def test_a_learned_name_reaches_a_later_value_on_a_memo_hit() -> None:
    redactor = Redactor()
    props = {"file_path": "/home/alice9/src/api/main.py", "note": "alice9 pushed to main"}
    first, second = redactor.redact_columns(props), redactor.redact_columns(props)
    assert "alice9" not in json.dumps(first.value) and second.value == first.value
    assert dict(second.findings) == dict(first.findings)


def test_the_memo_keeps_no_removed_text() -> None:
    redactor = Redactor()
    for text in PERSONAL:
        redactor.redact_text(text, field="error")
    assert redactor._found
    kept = repr(redactor._found)
    for removed in ("alice9", "bob.smith@example.org", "Chen Wei", "10.15.92.17", "a" * 36, "hunter2"):
        assert removed not in kept


def test_a_value_that_teaches_a_name_and_the_values_after_it_are_served_from_the_memo() -> None:
    """A home path (it teaches its user's name) and the values read after it recur with their install: all are
    remembered, the name as where it stands in the path, and a second event is redacted without a scan."""
    redactor = Redactor()
    props = {"file_path": "/home/alice9/src/api/main.py", "theme": "light", "branch": "alice9 pushed to main"}
    first = redactor.redact_columns(props)
    assert len(redactor._found) == 3
    assert "alice9" not in repr(redactor._found)

    def no_scan(*args: object) -> str:
        raise AssertionError("scanned again")

    redactor._fast_checked = no_scan  # type: ignore[method-assign]
    second = redactor.redact_columns(props)
    assert second.value == first.value and dict(second.findings) == dict(first.findings)
    assert "alice9" not in json.dumps(second.value) and second.value[0]["branch"].endswith(" pushed to main")
