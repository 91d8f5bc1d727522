"""A user name learned from one value of an event (a home path's user) is removed from every value of it, whatever
the order of the values and whatever the Redactor remembered from earlier events (its clean and outcome memos)."""

from __future__ import annotations

import itertools

import pytest

from redact import Redactor

VALUES = {"branch": "alice9 pushed to main", "file_path": "/home/alice9/src/api/main.py",
          "note": {"lines": ["ok", "hi alice9"]}}


@pytest.mark.parametrize("order", list(itertools.permutations(VALUES)), ids="-".join)
def test_learned_name_leaves_every_value_in_any_order(order: tuple[str, ...]) -> None:
    redactor = Redactor()
    for _ in range(3):  # the second and third calls meet the memos the first one filled
        event = {key: VALUES[key] for key in order}
        mapped = redactor.redact_mapping(event).value
        assert "alice9" not in repr(mapped)
        strings, _, _ = redactor.redact_columns({k: v for k, v in event.items() if isinstance(v, str)}).value
        assert "alice9" not in repr(strings)
        assert strings["branch"].endswith(" pushed to main") and strings["file_path"].endswith("/src/api/main.py")


def test_a_value_seen_clean_before_is_still_checked_once_a_name_is_learned() -> None:
    redactor = Redactor()
    assert redactor.redact_columns({"branch": "bob77 merged it"}).value[0] == {"branch": "bob77 merged it"}
    strings, _, _ = redactor.redact_columns({"file_path": "/Users/bob77/x.txt", "branch": "bob77 merged it"}).value
    assert "bob77" not in strings["branch"]
