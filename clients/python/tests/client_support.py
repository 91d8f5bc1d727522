"""Helpers for the client's tests: a live `consentry serve` on 127.0.0.1 (real HTTP, the real collector).

Self-contained on purpose (no import of the repository's tests/ helpers): the collector is the `consentry` command
installed next to the running Python, started with one process (`--workers 0`), each on its own data directory and
free port. Tests that need a collector are skipped when the command is not installed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

EXE = Path(sys.executable).with_name("consentry")
HASH_KEY = "5e" * 32  # a fixed privacy key, so tests can compute the registry's install hashes
STARTUP_S = 300.0  # the collector loads presidio at start; on a loaded machine that takes a while


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Collector:
    """One `consentry serve` on a data directory and port that stay the same across stop() / start()."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")},
                    "CONSENTRY_DATA_DIR": str(data_dir), "CONSENTRY_HTTP_PORT": str(port),
                    "CONSENTRY_PRIVACY_HASH_KEY": HASH_KEY, "CONSENTRY_JOBS_SCHEDULE": "false",
                    "CONSENTRY_WRITER_LINGER_MS": "0"}

    def start(self, **settings: str) -> None:
        assert self.proc is None
        log = (self.data_dir / "serve.log").open("ab")
        with log:
            self.proc = subprocess.Popen([str(EXE), "serve", "--workers", "0"], env={**self.env, **settings},
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"serve did not become healthy in {STARTUP_S:.0f} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_tail(self) -> str:
        return (self.data_dir / "serve.log").read_text(errors="replace")[-3000:]

    def metrics(self) -> dict[str, float]:
        """Prometheus samples as "name{labels}" -> value."""
        with urllib.request.urlopen(self.base + "/metrics", timeout=10) as response:
            text = response.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                samples[key] = float(value)
        return samples

    def requests(self, route_prefix: str = "/v1/", status: str | None = None) -> float:
        """Requests the collector counted on routes under `route_prefix` (optionally with one status)."""
        total = 0.0
        for key, value in self.metrics().items():
            if not key.startswith("consentry_requests_total{"):
                continue
            labels = dict(part.split("=", 1) for part in key[len("consentry_requests_total{"):-1].split(","))
            route, code = labels["route"].strip('"'), labels["status"].strip('"')
            if route.startswith(route_prefix) and (status is None or code == status):
                total += value
        return total

    def all_requests(self) -> float:
        """Every request but the test's own probes (/metrics, /healthz)."""
        return self.requests("/") - self.requests("/metrics") - self.requests("/healthz")

    def query(self, sql: str) -> list[dict[str, Any]]:
        done = subprocess.run([str(EXE), "query", "--format", "json", sql], env=self.env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    def http(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"{}")


def new_collector() -> Collector:
    if not EXE.exists():
        pytest.skip("the collector (`consentry`) is not installed in this environment")
    return Collector(Path(tempfile.mkdtemp(prefix="cc-")), free_port())




def wait_for(check: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s")
        time.sleep(interval)
