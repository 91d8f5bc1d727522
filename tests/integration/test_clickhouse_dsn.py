"""The http(s) DSN branch of client creation: a loopback port with no ClickHouse gives a clear, fast error."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from storage.clickhouse import open_client
from storage.errors import StorageUnavailable


def test_closed_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match=f"127.0.0.1:{port}") as caught:
            open_client(f"http://default:secret@127.0.0.1:{port}", tmp_path)
    assert time.monotonic() - started < 10
    assert "secret" not in str(caught.value)  # the password never reaches a message


def test_something_else_speaking_http_is_a_clear_error(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotClickHouse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(404)
            self.end_headers()

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotClickHouse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(StorageUnavailable):
            open_client(f"http://127.0.0.1:{server.server_address[1]}", tmp_path)
    finally:
        server.shutdown()
        server.server_close()
