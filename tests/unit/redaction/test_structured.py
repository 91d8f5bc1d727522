"""redact_mapping / redact_value: key-based dropping at any depth, scalars untouched, limits, findings."""

from __future__ import annotations

import pytest

from redact import Policy, Redacted, Redactor

R = Redactor()

# Secrets a person chose and identity: gone whatever the value.
SENSITIVE_KEYS = ["password", "secret", "user_password", "email", "user_id", "pin", "device_id"]
# What a person wrote, sent whole: text and structures replaced whole, numbers (counts, sizes, statuses) stay.
DOCUMENT_KEYS = ["prompt", "completion", "response", "messages", "content", "document", "file_content",
                 "attachment", "clipboard", "body", "llm.prompt", "http.body"]
# Machine-made credentials: anything but a dictionary-word status or a small count is removed.
CREDENTIAL_KEYS = ["token", "authorization", "cookie", "api_key", "apiKey", "accessToken", "set_cookie"]
PLAIN_KEYS = ["prompt_tokens", "completion_tokens", "content_type", "response_time_ms", "body_size", "token_count",
              "message_count", "layout", "theme", "model", "error.code"]


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_sensitive_keys_are_dropped_whole_whatever_the_value(key):
    for value in ("hello42", "Jane Roe", 42, 3.5, ["a"], {"b": 1}):
        out = R.redact_mapping({key: value})
        assert out.value == {key: "[removed]"}
        assert out.findings == {"key.sensitive": 1}


# What a person chose (a password, a login, an id that may be one): any word goes, even a placeholder for secrets.
@pytest.mark.parametrize(("key", "value"), [("password", "hello"), ("password", "guest"), ("pin", "enabled"),
                                            ("user_id", "sunshine"), ("username", "hello"), ("login", "success"),
                                            ("hostname", "raspberry"), ("nickname", "Sunny"), ("api_secret", "none1")])
def test_chosen_values_go_even_when_words(key, value):
    assert R.redact_mapping({key: value}).value == {key: "[removed]"}


# A status a program wrote where a device or form value would be (issue 15's damage list: enum-like values under
# names that mention a sensitive word), and placeholders where a person's chosen value would be.
@pytest.mark.parametrize(("key", "value"), [("email", "verified"), ("email", "not_provided"), ("phone", "unverified"),
                                            ("gps", "denied"), ("birthday", "not set"), ("device_id", "unknown"),
                                            ("username", "anonymous"), ("user_id", "guest"), ("distinct_id", "$anon"),
                                            ("hostname", "localhost")])
def test_status_words_under_removed_fields_stay(key, value):
    assert R.redact_mapping({key: value}) == Redacted({key: value}, {})
    assert R.redact_text(value, field=key).value == value


@pytest.mark.parametrize("key", DOCUMENT_KEYS)
def test_documents_are_replaced_whole_but_their_counts_stay(key):
    assert R.redact_mapping({key: "hello there"}).value == {key: "[content:11 chars]"}
    assert R.redact_mapping({key: [{"role": "user", "content": "hi"}]}).value == {key: "[content:35 chars]"}
    assert R.redact_mapping({key: '{"text": "see you at 5"}'}).value == {key: "[content:24 chars]"}
    for value in (12, 200, 3.5):
        assert R.redact_mapping({key: value}) == Redacted({key: value}, {})


@pytest.mark.parametrize("key", CREDENTIAL_KEYS)
def test_credentials_are_dropped_unless_a_word_status(key):
    for value in ("Bearer abc123def456", "s%3AxK9q2.Lm4", "sk_live_51Hx", 6104928377):
        assert R.redact_mapping({key: value}) == Redacted({key: "[removed]"}, {"key.sensitive": 1})
    for value in ("accepted", "necessary_only", "whenInUse", "granted", 3):
        assert R.redact_mapping({key: value}) == Redacted({key: value}, {})


@pytest.mark.parametrize("key", [*SENSITIVE_KEYS, *DOCUMENT_KEYS, *CREDENTIAL_KEYS])
def test_one_bit_is_never_dropped(key):
    """One bit under any key tells nothing personal (issue 15's damage list), sent as JSON or as text."""
    for value in (True, False, None, "true", "False", "null"):
        assert R.redact_mapping({key: value}) == Redacted({key: value}, {})


@pytest.mark.parametrize("key", [*SENSITIVE_KEYS, "has_email", "password_set", "$feature_flag_response"])
def test_booleans_and_nulls_are_never_dropped(key):
    """One bit under a key that mentions a sensitive word tells nothing personal (issue 15's damage list)."""
    for value in (True, False, None):
        assert R.redact_mapping({key: value}) == Redacted({key: value}, {})


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_counts_and_types_named_like_sensitive_words_are_kept(key):
    assert R.redact_mapping({key: 1200}) == Redacted({key: 1200}, {})


def test_typical_event_props_pass_unchanged():
    props = {"layout": "split", "theme": "dark_mode", "locale": "en-US", "app.version": "1.4.2",
             "model": "gpt-4o-mini", "os": "macos", "status": "ok", "latency_ms": 231, "cached": False,
             "ratio": 0.25}
    out = R.redact_mapping(props)
    assert out == Redacted(props, {})
    assert all(type(out.value[k]) is type(v) for k, v in props.items())


def test_strings_in_props_are_scrubbed_with_the_key_as_field():
    out = R.redact_mapping({"file": "/Users/alice/Documents/cv.pdf", "peer": "8.8.8.8", "n": 3})
    assert out.value == {"file": "~/Documents/[file].pdf", "peer": "[ip]", "n": 3}
    assert out.findings == {"path.home": 1, "path.file": 1, "ip.v4": 1}


def test_nested_values_are_walked_and_sensitive_subtrees_dropped():
    value = {"request": {"headers": {"Authorization": "Bearer abc123def456", "Accept": "json"},
                         "messages": [{"role": "user", "content": "my secret plan"}]},
             "frames": [{"file": "/home/bob/app.py", "line": 3}, "bob@corp.com"]}
    out = R.redact_value(value)
    assert out.value == {"request": {"headers": {"Authorization": "[removed]", "Accept": "json"},
                                     "messages": "[content:47 chars]"},
                         "frames": [{"file": "~/app.py", "line": 3}, "[email]"]}
    assert out.findings == {"key.sensitive": 1, "content": 1, "path.home": 1, "email": 1}


def test_keys_that_carry_data_are_scrubbed_too():
    assert R.redact_value({"alice@example.com": 3}).value == {"[email]": 3}


def test_free_text_fields_are_scrubbed_but_not_replaced_as_content():
    prose = "The upload failed because the server closed the connection before the response was read fully"
    assert R.redact_text(prose, field="error.message").value == prose
    # under a field the table does not list, a message a program printed stays; what a person wrote goes
    assert R.redact_text(prose, field="label").value == prose
    assert R.redact_text(prose, field="failureText").value == prose  # the field's words: a failure's text
    typed = "I could not upload my scans because the connection kept dropping at home"
    assert R.redact_text(typed, field="label").value == f"[content:{len(typed)} chars]"
    query = "how to file for bankruptcy in california without a lawyer"
    assert R.redact_text(query, field="label").value == f"[content:{len(query)} chars]"


def test_depth_and_size_limits_are_counted():
    small = Redactor(Policy(max_depth=2, max_items=3))
    out = small.redact_value({"a": {"b": {"c": 1}}, "l": [1, 2, 3, 4, 5]})
    assert out.value == {"a": {"b": "[truncated]"}, "l": [1, 2, 3]}
    assert out.findings == {"limit.depth": 1, "limit.size": 2}


def test_long_strings_are_cut_at_max_text():
    out = Redactor(Policy(max_text=64)).redact_text("x" * 100, field="stack")
    assert out.value == "x" * 64 and out.findings == {"limit.size": 1}


def test_bytes_are_never_stored():
    assert R.redact_value(b"\x00\x01secret").value == "[content:8 bytes]"


def test_redact_text_with_sensitive_field_drops_the_text():
    assert R.redact_text("anything at all", field="password") == Redacted("[removed]", {"key.sensitive": 1})


def test_unknown_tier_is_an_error():
    with pytest.raises(ValueError, match="tier"):
        R.redact_text("x y z", tier="slow")  # type: ignore[arg-type]
