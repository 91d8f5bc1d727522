"""HTTPS as a user runs it: the installed `consentry serve` with a certificate made at test time (trustme)."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import trustme
from serving import EXE, free_port
from support import make_batch


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def env(ca: trustme.CA) -> Iterator[dict[str, str]]:
    data = Path(tempfile.mkdtemp(prefix="cs-tls-"))
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(data / "server.pem"))
    yield {**os.environ, "CONSENTRY_DATA_DIR": str(data), "CONSENTRY_HTTP_PORT": str(free_port()),
           "CONSENTRY_TLS_CERT_FILE": str(data / "server.pem"), "CONSENTRY_TLS_KEY_FILE": str(data / "server.pem")}
    shutil.rmtree(data, ignore_errors=True)


def post(url: str, context: ssl.SSLContext | None) -> int:
    body = msgspec.json.encode(make_batch(2))
    request = urllib.request.Request(url + "/v1/events", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return response.status


def wait_healthy(url: str, context: ssl.SSLContext, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited early"
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1, context=context).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve did not become healthy in 60 s")


@pytest.mark.parametrize("workers", ["0", "1"])
def test_https_accepts_a_trusting_client_and_refuses_plain_http(env: dict[str, str], ca: trustme.CA,
                                                                workers: str) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    port = env["CONSENTRY_HTTP_PORT"]
    with (Path(env["CONSENTRY_DATA_DIR"]) / "serve.log").open("wb") as sink:
        proc = subprocess.Popen([EXE, "serve", "--workers", workers], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"https://127.0.0.1:{port}", context, proc)
        assert post(f"https://127.0.0.1:{port}", context) == 202
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # plain HTTP to the TLS port
            post(f"http://127.0.0.1:{port}", None)
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):  # a client not trusting the CA
            post(f"https://127.0.0.1:{port}", ssl.create_default_context())
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0


@pytest.mark.parametrize(("variable", "key"), [("CONSENTRY_TLS_CERT_FILE", "tls.cert_file"),
                                               ("CONSENTRY_TLS_KEY_FILE", "tls.key_file")])
def test_a_missing_file_is_a_start_up_error_naming_the_key(env: dict[str, str], variable: str, key: str) -> None:
    done = subprocess.run([EXE, "serve"], env={**env, variable: "/nonexistent/x.pem"}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert key in done.stderr and "/nonexistent/x.pem" in done.stderr
    with socket.socket() as sock:  # nothing listens on the configured port
        assert sock.connect_ex(("127.0.0.1", int(env["CONSENTRY_HTTP_PORT"]))) != 0


def test_a_file_that_is_not_a_certificate_is_a_start_up_error(env: dict[str, str]) -> None:
    junk = Path(env["CONSENTRY_DATA_DIR"]) / "junk.pem"
    junk.write_text("not a certificate\n")
    done = subprocess.run([EXE, "serve"], env={**env, "CONSENTRY_TLS_CERT_FILE": str(junk)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "tls.cert_file" in done.stderr
