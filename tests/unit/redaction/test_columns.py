"""redact_columns is redact_mapping plus routing by type, in one pass: same values, same findings."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from redact import Redactor

REDACTOR = Redactor()
KEYS = st.sampled_from(["mode", "theme", "duration_ms", "ok", "email", "password", "api_token", "user.path",
                        "Weird Key", "note", "url"])
VALUES = st.one_of(
    st.sampled_from(["split", "dark", "en-US", "alice@example.com", "/home/alice/notes.txt", "10.1.2.3",
                     "ghp_" + "a" * 36, "https://example.com/?token=abc123",
                     "Dear Bob, my card is 4111 1111 1111 1111"]),
    st.text(max_size=40), st.integers(-10**9, 10**9), st.floats(allow_nan=False, allow_infinity=False), st.booleans())


def routed(value: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    strings = {k: v for k, v in value.items() if type(v) is str}
    flags = {k: v for k, v in value.items() if type(v) is bool}
    numbers = {k: float(v) for k, v in value.items() if type(v) not in (str, bool)}
    return strings, numbers, flags


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_columns_equal_mapping_then_routing(props: dict[str, Any]) -> None:
    mapping = Redactor().redact_mapping(props)  # a fresh redactor each: the clean-value memo must not matter
    columns = REDACTOR.redact_columns(props)
    assert columns.value == routed(mapping.value)
    assert dict(columns.findings) == dict(mapping.findings)


def test_the_clean_memo_never_lets_a_secret_through() -> None:
    redactor = Redactor()
    for _ in range(3):  # the second and third pass take the memoised fast path for "split"
        strings, numbers, flags = redactor.redact_columns({"mode": "split", "email": "alice@example.com",
                                                           "n": 3, "ok": True}).value
        assert strings["mode"] == "split" and "alice@example.com" not in str(strings)
        assert numbers == {"n": 3.0} and flags == {"ok": True}
