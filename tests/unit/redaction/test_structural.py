"""Structural detectors on whole real-format excerpts: prompts, log lines, cloud ids, and what they learn."""

from __future__ import annotations

import pytest

from redact import Redactor

R = Redactor()

CASES = [
    # a name found by structure goes wherever else it occurs in the same text
    ("Joaquims-MacBook-Pro:pages jqferraz$ git push -u origin jqferraz-add-page\n"
     "remote: Permission to org/pages.git denied to jqferraz.", ["jqferraz", "Joaquims"]),
    ("/Users/grellier/go/src/github.com/grellier/pulsar/tmdb/movie.go:188", ["grellier"]),
    ("Feb 6 16:27:08 tobiasvinter kernel: [UFW BLOCK] IN=eth0 OUT= "
     "MAC=b2:4e:71:0a:93:5d:e4:8d:8c:21:6f:19:08:00 SRC=81.19.72.40", ["tobiasvinter", "b2:4e:71", "81.19.72.40"]),
    ("User: arn:aws:sts::047215839906:assumed-role/Deployer/i-0f3be71ac2d954e06 is not authorized",
     ["047215839906", "i-0f3be71ac2d954e06"]),
    ("13:45:32.123456 IP 192.168.1.14.12345 > 192.168.1.1.80: Flags [S]", ["192.168.1.14", "192.168.1.1."]),
    ("Set-Cookie: sessionid=9a8b7c6d5e4f; Path=/; HttpOnly", ["9a8b7c6d5e4f"]),
    ("mail.login('someone@example.com','8842017356')", ["someone@example.com", "8842017356"]),
]

KEPT = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Linux version 5.15.153.1-microsoft-standard-WSL2",
    "Microsoft.Extensions.Logging, Version=3.1.3.0, Culture=neutral",
    "/home/runner/work/app/app/src/main.rs:42:7",
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    "Jun 12 13:33:57 localhost sshd[18900]: Illegal user admin from 127.0.0.1",
    "git clone git@github.com:rust-lang/cargo.git",
]


@pytest.mark.parametrize(("text", "gone"), CASES)
def test_structural_findings_leave_nothing_behind(text, gone):
    out = R.redact_text(text).value
    assert not [g for g in gone if g in out], out


@pytest.mark.parametrize("text", KEPT)
def test_lookalikes_are_kept(text):
    out = R.redact_text(text)
    assert (out.value, out.findings) == (text, {})


def test_nested_urls_stop_at_a_bound_and_fail_closed():
    text = "https://x.example/r?next=" * 5000 + "alice@example.com"
    out = R.redact_text(text)
    assert "alice@example.com" not in out.value
    assert "limit.depth" in out.findings
