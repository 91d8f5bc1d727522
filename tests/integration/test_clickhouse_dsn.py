"""The http(s) DSN branch of client creation: a loopback port with no ClickHouse gives a clear, fast error, over
plain HTTP and over TLS (a certificate made at test time with trustme, verified through clickhouse.ca_file)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import trustme

from ingest.settings import load_settings
from storage.clickhouse.client import open_client
from storage.errors import StorageUnavailable


class NotClickHouse(BaseHTTPRequestHandler):
    """Answers every request 404, as a web server that is not ClickHouse would."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def _serve(server: HTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_port(ca: trustme.CA) -> Iterator[int]:
    """A loopback HTTPS server (certificate for 127.0.0.1 from the test CA) that does not speak ClickHouse."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = HTTPServer(("127.0.0.1", 0), NotClickHouse)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


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
    for port in _serve(HTTPServer(("127.0.0.1", 0), NotClickHouse)):
        with pytest.raises(StorageUnavailable):
            open_client(f"http://127.0.0.1:{port}", tmp_path)


def _open_from_settings(tmp_path: Path, port: int, ca_file: str = "") -> str:
    """Open the client as the writer does at start-up (settings checked first); the error message, and fast."""
    environ = {"CONSENTRY_DATA_DIR": str(tmp_path), "CONSENTRY_CLICKHOUSE_URL": f"https://u:secret@127.0.0.1:{port}"}
    settings = load_settings(environ=environ | ({"CONSENTRY_CLICKHOUSE_CA_FILE": ca_file} if ca_file else {}))
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match=f"cannot open ClickHouse at https://127.0.0.1:{port}") as caught:
        open_client(settings.clickhouse.url, settings.data_path, settings.clickhouse.ca_file)
    assert time.monotonic() - started < 10  # a clear failure, not a hang
    assert "secret" not in str(caught.value)
    return str(caught.value)


def test_tls_server_trusted_through_ca_file_but_not_clickhouse(tmp_path: Path, ca: trustme.CA,
                                                               tls_port: int) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    message = _open_from_settings(tmp_path, tls_port, str(tmp_path / "ca.pem"))
    # The handshake succeeded (the CA is trusted): what failed is the ClickHouse conversation over it.
    assert "CERTIFICATE_VERIFY_FAILED" not in message and "SSL" not in message
    assert "404" in message


def test_tls_server_with_an_untrusted_certificate_is_a_certificate_error(tmp_path: Path, tls_port: int) -> None:
    message = _open_from_settings(tmp_path, tls_port)  # no clickhouse.ca_file: the default bundle
    assert "CERTIFICATE_VERIFY_FAILED" in message
