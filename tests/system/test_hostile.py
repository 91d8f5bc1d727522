"""Issue 18 on the real `consentry serve` (one process on 127.0.0.1): every hostile shape of tests/hostile.py on
every route it targets answers within a second with its 4xx (never a 5xx), the multipart bombs leave the
process's peak memory within 100 MiB of where it was, malformed request lines and headers, aborted uploads,
trickled bodies and unfinished headers are dealt with, and the whole log holds no traceback and no secret."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import hostile
import pytest
from serving import EXE, free_port, wait_healthy

EMAIL = "planted.person@example.org"
READ_TIMEOUT_S = 1.0
MiB = 1 << 20


@pytest.fixture
def server() -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    data = Path(tempfile.mkdtemp(prefix="cs-hostile-"))
    log_path = data.parent / (data.name + ".log")
    port = free_port()
    env = {**os.environ, "CONSENTRY_DATA_DIR": str(data), "CONSENTRY_HTTP_PORT": str(port),
           "CONSENTRY_LOG_FORMAT": "json", "CONSENTRY_LOG_LEVEL": "debug",
           "CONSENTRY_ADMIN_TOKEN": hostile.ADMIN_TOKEN, "CONSENTRY_INGEST_KEYS": hostile.ingest_keys(),
           "CONSENTRY_HTTP_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}
    with log_path.open("wb") as sink:
        proc = subprocess.Popen([EXE, "serve", "--workers", "0"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout_s=90)
        yield base, proc, log_path
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)
        log_path.unlink(missing_ok=True)


def _send(base: str, shape: hostile.Shape) -> tuple[int, bytes, float]:
    request = urllib.request.Request(base + shape.path, data=shape.body if shape.method == "POST" else None,
                                     method=shape.method, headers=shape.headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.perf_counter() - started


def _memory(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def _raw(port: int, data: bytes, *, wait_s: float = 2.0) -> bytes:
    """What the server answers on a connection that sends `data` and then nothing (b"": closed unanswered)."""
    return _first_answer(port, data, wait_s)[0]


def _first_answer(port: int, data: bytes, wait_s: float) -> tuple[bytes, float]:
    """(the first bytes answered, seconds until they came); b"" when the server closed without answering."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(data)
        started = time.perf_counter()
        with contextlib.suppress(TimeoutError, ConnectionError):
            return sock.recv(65536), time.perf_counter() - started
        return b"", time.perf_counter() - started


def test_every_hostile_shape_on_the_running_server(server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, proc, log_path = server
    port = int(base.rsplit(":", 1)[1])
    shapes = hostile.nesting() + hostile.numbers() + hostile.calendar_edges() + hostile.multipart_bombs()
    slow = []
    for shape in shapes:
        if shape in hostile.multipart_bombs():
            Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # restart the peak (VmHWM) from now
            before = _memory(proc.pid)["VmRSS"]
        status, body, took = _send(base, shape)
        assert status in shape.statuses, (shape.name, status, body[:300])
        if shape.code is not None:
            assert json.loads(body)["error"]["code"] == shape.code, (shape.name, body[:300])
        if took >= 1.0:
            slow.append((shape.name, round(took, 2)))
        if shape in hostile.multipart_bombs():
            growth = _memory(proc.pid)["VmHWM"] - before
            assert growth < 100 * MiB, (shape.name, growth // MiB)
    assert not slow, slow

    # A malformed request line with a key and an e-mail, and a header with a control character before the admin
    # token: 400 from aiohttp's parser, and the log names neither.
    line = f"GET /v1/admin/crash-groups?key={hostile.SDK_KEY}&email={EMAIL} HTTP/1.1 x\r\nHost: x\r\n\r\n"
    assert _raw(port, line.encode())[:13] in (b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")
    header = (f"GET /v1/admin/crash-groups HTTP/1.1\r\nHost: x\r\n"
              f"Authorization: Bearer \x01{hostile.ADMIN_TOKEN}\r\n\r\n")
    assert _raw(port, header.encode())[:13] in (b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")

    # Uploads abandoned mid-body: no 500, no traceback (checked in the log below).
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(f"POST /v1/crashes HTTP/1.1\r\nHost: x\r\nContent-Length: {MiB}\r\n"
                         f"Content-Type: {hostile.FORM['Content-Type']}\r\n\r\n".encode() + b"x" * 4096)
            time.sleep(0.02)

    # A body that never completes: 408 at the read timeout; headers that never complete: closed.
    answer, took = _first_answer(port, b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 100\r\n\r\n{", READ_TIMEOUT_S + 2)
    assert answer.startswith(b"HTTP/1.1 408") and READ_TIMEOUT_S - 0.2 < took < READ_TIMEOUT_S + 1.5, (answer, took)
    answer, took = _first_answer(port, b"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Slow: ", READ_TIMEOUT_S + 4)
    assert answer == b"" and took < READ_TIMEOUT_S + 3, took

    with urllib.request.urlopen(base + "/metrics", timeout=10) as scraped:
        metrics = scraped.read().decode()
    assert 'status="500"' not in metrics and 'status="503"' not in metrics
    assert 'consentry_requests_total{route="/v1/crashes",status="aborted"} 20.0' in metrics

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" not in text
    for secret in (hostile.ADMIN_TOKEN, hostile.SDK_KEY, EMAIL):
        assert secret not in text, f"{secret!r} is in the log"
    for entry in map(json.loads, text.splitlines()):
        assert entry["level"] != "error", entry
        # The clients were on 127.0.0.1 too: only the listening line may name that address.
        assert "127.0.0.1" not in entry["message"] or entry["message"].startswith("listening on"), entry
