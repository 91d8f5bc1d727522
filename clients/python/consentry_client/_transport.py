"""HTTP with the standard library: one request, its answer, and what to do about it."""

from __future__ import annotations

import email.utils
import gzip
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from consentry_client import _limits

USER_AGENT = "consentry-client-python/0.1.0"
MAX_RETRY_AFTER_S = 3600.0  # a Retry-After past an hour is read as an hour: the client never stalls for days


class Refusal:
    """A terminal answer from the collector: what was refused and why (`code` from docs/reference/refusals.md)."""

    __slots__ = ("status", "code", "message", "what", "at")

    def __init__(self, status: int, code: str, message: str, what: str, at: float) -> None:
        self.status, self.code, self.message, self.what, self.at = status, code, message, what, at

    def to_json(self) -> str:
        return json.dumps({"status": self.status, "code": self.code, "message": self.message, "what": self.what,
                           "at": self.at})

    @classmethod
    def from_json(cls, text: str) -> Refusal:
        value = json.loads(text)
        return cls(int(value["status"]), str(value["code"]), str(value["message"]), str(value["what"]),
                   float(value["at"]))

    def __repr__(self) -> str:
        return f"Refusal({self.status}, {self.code!r}, what={self.what!r}, message={self.message!r})"


class Answer:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """Worth retrying later: rate limits, a full spool, storage trouble, a proxy in the way."""
        return self.status in (408, 425, 429) or self.status >= 500

    def json(self) -> dict[str, object]:
        try:
            value = json.loads(self.body.decode("utf-8"))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def error(self) -> tuple[str, str]:
        error = self.json().get("error")
        if isinstance(error, dict):
            return str(error.get("code") or "") or self.fallback_code(), str(error.get("message") or "")
        return self.fallback_code(), self.body[:200].decode("utf-8", "replace")

    def fallback_code(self) -> str:
        return next((code for code, status in _limits.REFUSALS.items() if status == self.status), f"http_{self.status}")

    def retry_after(self, now: float | None = None) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"), now)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), capped; None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    delay = when.timestamp() - (time.time() if now is None else now)
    return min(max(delay, 0.0), MAX_RETRY_AFTER_S)


def request(method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float) -> Answer:
    """One request. A network failure raises OSError (urllib.error.URLError is one); any status is an Answer."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            headers = {k.lower(): v for k, v in exc.headers.items()} if exc.headers else {}
            return Answer(exc.code, headers, exc.read() or b"")


def gzip_json(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def multipart(parts: Mapping[str, tuple[str, bytes]], boundary: str) -> bytes:
    """multipart/form-data from name -> (content type, bytes)."""
    out = bytearray()
    for name, (content_type, data) in parts.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
                f"Content-Type: {content_type}\r\n\r\n").encode("ascii")
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return bytes(out)
