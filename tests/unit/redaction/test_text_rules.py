"""Text rules on realistic crash and telemetry strings: what goes, and what triage needs to keep."""

from __future__ import annotations

import pytest

from redact import Redactor

R = Redactor()

REDACTED = [
    ("contact alice.smith@example.com now", "contact [email] now", "email"),
    ("peer 203.0.113.9:443 reset", "peer [ip]:443 reset", "ip.v4"),
    ("bind [2001:db8::8a2e:370:7334]:80", "bind [[ip]]:80", "ip.v6"),
    ("iface en0 ether a4:83:e7:1b:2c:3d", "iface en0 ether [mac]", "mac"),
    ("host Bobs-MacBook-Pro.local unreachable", "host [host] unreachable", "hostname"),
    ("COMPUTERNAME DESKTOP-7H2K9QX", "COMPUTERNAME [host]", "hostname"),
    ("OPENAI_API_KEY sk-proj-Abc123Def456Ghi789Jkl012Mno345", "OPENAI_API_KEY [secret]", "secret.openai"),
    ("key sk-ant-api03-AbCdEf0123456789_abcdefGHIJKL-xyz end", "key [secret] end", "secret.anthropic"),
    ("ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "[secret]", "secret.github"),
    ("glpat-xxxxXXXX1234yyyyZZZZ", "[secret]", "secret.gitlab"),
    ("xoxb-2345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "[secret]", "secret.slack"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[secret]", "secret.stripe"),
    ("AKIAIOSFODNN7EXAMPLE", "[secret]", "secret.aws"),
    ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "[secret]", "secret.google"),
    ("jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "jwt=[secret]", "secret.jwt"),
    ("Authorization: Bearer abc123def456ghi", "Authorization: Bearer [secret]", "secret.auth_header"),
    ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----",
     "-----BEGIN EC PRIVATE KEY-----[private key]-----END EC PRIVATE KEY-----", "secret.pem"),
    ("connect password=hunter2 host=db", "connect password=[secret] host=db", "secret.kv"),
    ('{"api_key": "abc123"}', '{"api_key": "[secret]"}', "secret.kv"),
    ("token: 9f8e7d6c", "token: [secret]", "secret.kv"),
    ("secret=xyz&x=1", "secret=[secret]&x=1", "secret.kv"),
    ("GET https://bob:pw@api.example.com/v1", "GET https://[secret]@api.example.com/v1", "secret.url_credentials"),
    ("https://x.example/cb?code=abc&state=1&lang=en", "https://x.example/cb?code=[secret]&state=1&lang=en",
     "secret.url_query"),
    ("upload Xk9mP2qR7vT4wY8zA3bC6dE1fG5hJ0kLmN", "upload [secret]", "secret.entropy"),
    ("card 4111 1111 1111 1111 declined", "card [card] declined", "card"),
    ("iban DE89 3704 0044 0532 0130 00 ok", "iban [iban] ok", "iban"),
    ("ssn 078-05-1120", "ssn [ssn]", "ssn"),
    ("call +1 415 555 2671 today", "call [phone] today", "phone"),
    ("call (415) 555-2671", "call [phone]", "phone"),
]

KEPT = [
    "ConnectionRefusedError: [Errno 111] Connection refused",
    "OSError: [Errno 2] No such file or directory",
    "connect ECONNREFUSED 127.0.0.1:5432",
    "listening on 0.0.0.0:8080 and [::1]:8080",
    "Exception code 0xC0000005 at 0x00007ff6a1b2c3d4",
    "httpx 0.27.0, msgspec 0.18.6, python 3.11.7 build 10.0.19045.2965",
    "event 550e8400-e29b-41d4-a716-446655440000 at 2024-01-15T10:30:45.123Z",
    "line 1234, col 56; took 1712345678901 ms; pid 40213",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "in httpx._client.Client.send (httpx/_client.py:915)",
    "thread 'main' panicked at src/main.rs:42:7: index out of bounds",
    "std::vector<int>::at failed; a::b",
    "max_tokens=512 token_count=42 prompt_tokens: 1200",
    "Basic authentication failed; Bearer tokens expired",
    "model gpt-4o-mini via https://api.openai.com/v1/chat/completions",
    "version 1.4.2 on macos 14.4 locale en-US",
    "ipad and iphone are device families; MacBookPro18,3",
    "at 12:30:45, retry in 30s (attempt 3/5)",
]

ENUMS = ["split", "dark_mode", "en-US", "1.4.2", "gpt-4o-mini", "macos", "ok", "", "42", "3.14", "pt_BR", "A"]


@pytest.mark.parametrize(("text", "expected", "rule"), REDACTED)
def test_rule_redacts(text, expected, rule):
    out = R.redact_text(text)
    assert out.value == expected
    assert rule in out.findings


@pytest.mark.parametrize("text", KEPT)
def test_triage_information_is_kept(text):
    out = R.redact_text(text)
    assert (out.value, out.findings) == (text, {})


@pytest.mark.parametrize("text", ENUMS)
def test_enum_like_values_survive(text):
    assert R.redact_text(text) == R.redact_text(text)  # deterministic, and:
    assert (R.redact_text(text).value, R.redact_text(text).findings) == (text, {})


def test_findings_count_each_occurrence():
    out = R.redact_text("a@example.com b@example.com 8.8.8.8")
    assert out.findings == {"email": 2, "ip.v4": 1}


def test_redacting_twice_changes_nothing_more():
    once = R.redact_text("mail bob@corp.com from /Users/bob/x.pdf via https://u:p@h.example/?token=1").value
    twice = R.redact_text(once)
    assert (twice.value, twice.findings) == (once, {})


def test_removed_text_is_not_kept_by_the_redactor():
    secret = "hunter2-unique-7f3a"
    R.redact_text(f"password={secret}")
    assert not any(secret in repr(v) for v in vars(R).values())
