"""The client without a collector: consent state, validation at the call site, the bounded queue, redaction of
crash reports, Retry-After parsing, bounded shutdown."""

from __future__ import annotations

import http.server
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import free_port

from consentry_client import Client, ConsentError, ValidationError, _redaction
from consentry_client._transport import parse_retry_after


def closed_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def make(app_dir: Path, endpoint: str | None = None, **options: object) -> Client:
    settings: dict[str, object] = {"app": "interpreter", "app_version": "1.4.2", "capture_crashes": False, **options}
    return Client(endpoint or closed_endpoint(), data_dir=app_dir, **settings)  # type: ignore[arg-type]


def test_private_by_default_with_no_id_and_nothing_queued(app_dir: Path) -> None:
    client = make(app_dir)
    try:
        assert client.consent == "private" and client.install_id is None
        client.track("editor.opened", mode="split")
        assert client.queued == 0 and client.flush(0.5)
    finally:
        client.shutdown(0)
    rows = sqlite3.connect(app_dir / "consentry" / "client.sqlite3").execute("SELECT count(*) FROM events")
    assert rows.fetchone()[0] == 0


def test_validation_errors_at_the_call_site_even_when_private(app_dir: Path) -> None:
    client = make(app_dir)
    try:
        with pytest.raises(ValidationError, match="name"):
            client.track("Editor Opened")
        with pytest.raises(ValidationError, match=r"props\.path"):
            client.track("editor.opened", path="x" * 1025)
        with pytest.raises(ValidationError, match=r"props\.tags"):
            client.track("editor.opened", tags=["a"])
        with pytest.raises(ValidationError, match=r"props\.ratio"):
            client.track("editor.opened", ratio=float("nan"))
        with pytest.raises(ValidationError, match="props key"):
            client.track("editor.opened", **{"Bad-Key": 1})
        client.track("editor.opened", name="a prop called name")  # `name` is positional-only: props may use it
        with pytest.raises(ValueError, match="consent must be"):
            client.set_consent("everything")
    finally:
        client.shutdown(0)
    with pytest.raises(ValidationError, match="context.app"):
        make(app_dir, app="My App!")


def test_consent_persists_and_the_id_is_random(app_dir: Path, tmp_path: Path) -> None:
    client = make(app_dir)
    client.set_consent("telemetry")
    first = client.install_id
    client.shutdown(0)
    again = make(app_dir)
    try:
        assert again.consent == "telemetry" and again.install_id == first
        assert again.reset_id() not in (None, first)
    finally:
        again.shutdown(0)
    other = make(tmp_path)  # another machine, or the same one: an unrelated id
    try:
        other.set_consent("telemetry")
        assert other.install_id not in (None, first)
    finally:
        other.shutdown(0)


@pytest.mark.parametrize("env", [{"DO_NOT_TRACK": "1"}, {"CONSENTRY_CLIENT_PRIVATE": "true"}])
def test_environment_forces_private(app_dir: Path, env: dict[str, str]) -> None:
    client = make(app_dir, environ=env)
    try:
        client.set_consent("telemetry+crash")
        assert client.consent == "private" and client.forced_private == next(iter(env))
        client.track("editor.opened")
        assert client.queued == 0
        assert client.capture_crash(RuntimeError("boom")) is None and client.pending_crashes() == []
    finally:
        client.shutdown(0)
    assert make(app_dir, environ={"DO_NOT_TRACK": "0"}).consent == "telemetry+crash"


def test_queue_is_bounded_oldest_dropped(app_dir: Path) -> None:
    client = make(app_dir, max_queued_events=10, flush_interval=3600)
    try:
        client.set_consent("telemetry")
        for i in range(25):
            client.track("editor.opened", n=i)
        client._persist()
        assert client.queued == 10 and client.dropped == 15
        bodies = [json.loads(row[0]) for row in sqlite3.connect(app_dir / "consentry" / "client.sqlite3")
                  .execute("SELECT body FROM events ORDER BY seq")]
        assert [b["props"]["n"] for b in bodies] == list(range(15, 25))
    finally:
        client.shutdown(0)


def test_shutdown_never_blocks_longer_than_asked(app_dir: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        client = make(app_dir, f"http://127.0.0.1:{silent.getsockname()[1]}", request_timeout=30)
        client.set_consent("telemetry")
        client.track("editor.opened")
        started = time.monotonic()
        client.shutdown(timeout=0.5)
        assert time.monotonic() - started < 2.0
    again = make(app_dir)  # what was not sent is still on disk
    try:
        assert again.queued == 1
    finally:
        again.shutdown(0)


def test_crash_needs_telemetry_plus_crash_and_discard_leaves_no_trace(app_dir: Path) -> None:
    client = make(app_dir)
    try:
        client.set_consent("telemetry")
        assert client.capture_crash(ValueError("x")) is None
        client.set_consent("telemetry+crash")
        try:
            raise ValueError("cannot open /home/alice/notes.txt for alice@example.com MARKER-7f3a")
        except ValueError as exc:
            report = client.capture_crash(exc)
        assert report is not None and [r.crash_id for r in client.pending_crashes()] == [report.crash_id]
        preview = report.preview()
        assert "alice" not in json.dumps(preview) and preview["exception"]["type"] == "ValueError"
        assert preview["consent"] == {"crash_report": "granted", "policy_version": "unspecified"}
        assert preview["threads"][0]["frames"][0]["function"].endswith("test_crash_needs_telemetry_plus_crash_and_"
                                                                        "discard_leaves_no_trace")
        report.discard()
        assert client.pending_crashes() == []
        client.set_consent("telemetry")
        stale = client.capture_crash(ValueError("y"))
        assert stale is None
    finally:
        client.shutdown(0)
    for path in app_dir.rglob("*"):
        if path.is_file():
            assert b"MARKER-7f3a" not in path.read_bytes(), path


def test_send_without_crash_consent_is_an_error(app_dir: Path) -> None:
    client = make(app_dir)
    try:
        client.set_consent("telemetry+crash")
        report = client.capture_crash(RuntimeError("boom"))
        assert report is not None
        client._consent = "telemetry"  # as if changed by another process after the report was listed
        with pytest.raises(ConsentError):
            report.send()
    finally:
        client.shutdown(0)


def test_fallback_redaction_without_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub = _redaction.basic()
    monkeypatch.setenv("HOME", "/var/lib/zed")
    text = scrub.text("open /home/alice/a.py, /Users/bob/b.py, /var/lib/zed/c.py, C:\\Users\\Carol\\d.py "
                      "mail carol.x@example.co.uk", "exception.message")
    assert text == "open ~/a.py, ~/b.py, ~/c.py, C:\\Users\\[user]\\d.py mail [email]"
    assert scrub.mapping({"k": "bob@example.com"}) == {"k": "[email]"}


def test_library_redaction_is_used_when_installed() -> None:
    pytest.importorskip("redact")
    scrub = _redaction.scrubber()
    assert scrub.library
    assert scrub.text("/home/alice/proj/app.py", None) == "~/proj/app.py"


def test_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("999999") == 3600.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)


class _Refuser(http.server.BaseHTTPRequestHandler):
    answers: list[tuple[int, str]] = []
    seen: list[str] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        status, code = self.answers.pop(0) if self.answers else (200, "")
        body = json.dumps({"error": {"code": code, "message": "refused"}} if code else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refuser() -> Iterator[type[_Refuser]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuser)
    _Refuser.answers, _Refuser.seen = [], []
    _Refuser.endpoint = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Refuser
    server.shutdown()
    server.server_close()


def test_terminal_refusals_drop_and_keep_the_reason(app_dir: Path, refuser: type[_Refuser]) -> None:
    client = make(app_dir, refuser.endpoint, batch_size=4)  # type: ignore[attr-defined]
    try:
        client.set_consent("telemetry")
        refuser.answers = [(200, ""), (422, "invalid_field")]
        for i in range(4):
            client.track("editor.opened", n=i)
        assert client.flush(5)
        assert client.refusal is not None and client.refusal.code == "invalid_field" and client.queued == 0
        refuser.answers = [(413, "too_many_events"), (202, ""), (202, "")]  # a collector with lower limits
        for i in range(4):
            client.track("editor.opened", n=i)
        assert client.flush(5)
        assert refuser.seen[-3:] == ["POST /v1/events"] * 3  # split in halves, nothing lost
        refuser.answers = [(403, "consent_denied")]
        client.track("editor.opened")
        assert client.flush(5)
        assert client.refusal.code == "consent_denied"
        client.track("editor.opened")  # blocked until the app records a new choice
        client._persist()
        sent = len(refuser.seen)
        assert client.flush(1) and len(refuser.seen) == sent
    finally:
        client.shutdown(0)
