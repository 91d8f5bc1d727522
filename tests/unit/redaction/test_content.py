"""Content-like text is replaced whole outside free-text fields; crash text and values are not content."""

from __future__ import annotations

import pytest

from redact import Redactor

R = Redactor()

CONTENT = [
    "Hi Sarah, thanks for sending the contract over. I reviewed it last night and have a few questions about "
    "the termination clause before we sign anything.",
    "Summarize this article in three bullet points and make it sound friendly for our newsletter readers please",
    "Sure! Here is a short poem about the sea:\nThe waves roll in with silver light,\nand gulls are calling "
    "through the night.",
    "```python\ndef add(a, b):\n    return a + b\n```",
    "def main():\n    x = load()\n    return x\nif __name__ == '__main__':\n    main()",
    "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" * 6,
]

NOT_CONTENT = [
    'Traceback (most recent call last):\n  File "/usr/lib/python3.11/ssl.py", line 1, in wrap\n'
    "    return self._sslobj.do_handshake()\nssl.SSLError: [SSL] record layer failure (_ssl.c:1000)",
    "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] "
    "(node:net:1555:16)\n    at Object.<anonymous> (/srv/app/index.js:10:5)",
    "thread 'main' panicked at src/main.rs:42:7:\ncalled `Option::unwrap()` on a `None` value\n"
    "stack backtrace:\n   0: rust_begin_unwind\n   1: core::panicking::panic_fmt",
    "Failed to open settings file: permission denied (errno 13)",
    "gpt-4o-mini",
    "2024-01-15T10:30:45Z INFO sync started\n2024-01-15T10:30:46Z WARN retrying\n2024-01-15T10:30:47Z ERROR gave up",
]


@pytest.mark.parametrize("text", CONTENT)
def test_content_is_replaced_whole(text):
    out = R.redact_text(text, field="note_title")
    assert out.value == f"[content:{len(text)} chars]"
    assert out.findings == {"content": 1}


@pytest.mark.parametrize("text", NOT_CONTENT)
def test_crash_text_is_not_content(text):
    assert "content" not in R.redact_text(text).findings
