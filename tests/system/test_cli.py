"""The installed `consentry` command as a user runs it: serve, query while serving and after, migrate."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from serving import EXE, free_port, wait_healthy
from support import make_batch


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    data = tempfile.mkdtemp(prefix="cs-sys-")
    yield {**os.environ, "CONSENTRY_DATA_DIR": data, "CONSENTRY_HTTP_PORT": str(free_port())}
    shutil.rmtree(data, ignore_errors=True)


def consentry(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=60)


def post(base: str, body: bytes) -> int:
    request = urllib.request.Request(base + "/v1/events", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def query_json(env: dict[str, str], sql: str) -> list[dict[str, object]]:
    done = consentry(env, "query", "--format", "json", sql)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    log = Path(env["CONSENTRY_DATA_DIR"]) / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([EXE, "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['CONSENTRY_HTTP_PORT']}"
    try:
        wait_healthy(base, proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_query_works_while_serving_and_after(env: dict[str, str], served: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, proc = served
    batch = make_batch(3)
    assert post(base, msgspec.json.encode(batch)) == 202
    assert post(base, msgspec.json.encode(batch)) == 202  # a retry
    sql = "SELECT toString(event_id) AS id, name FROM events ORDER BY id"
    while_serving = query_json(env, sql)
    assert sorted(r["id"] for r in while_serving) == sorted(e["event_id"] for e in batch["events"])
    assert consentry(env, "query", "INSERT INTO events (name) VALUES ('x')").returncode == 1  # read-only
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert not (Path(env["CONSENTRY_DATA_DIR"]) / "control.sock").exists()
    assert query_json(env, sql) == while_serving  # no server now: the CLI opens the engine itself


def test_table_format_and_migrate(env: dict[str, str], served: tuple[str, subprocess.Popen[bytes]]) -> None:
    table = consentry(env, "query", "SELECT 1 AS one, 'two' AS two")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == ["one", "two"]
    assert table.stdout.splitlines()[2].split() == ["1", "two"]
    assert consentry(env, "migrate").stdout.strip() == "applied 0 migration(s)"


def test_second_collector_on_the_same_data_dir_is_refused(env: dict[str, str],
                                                          served: tuple[str, subprocess.Popen[bytes]]) -> None:
    second = consentry({**env, "CONSENTRY_HTTP_PORT": str(free_port())}, "serve")
    assert second.returncode == 2
    assert "already served" in second.stderr


def test_bad_config_fails_before_listening(env: dict[str, str]) -> None:
    done = consentry({**env, "CONSENTRY_LIMITS_MAX_EVENTS_PER_BATCH": "many"}, "serve")
    assert done.returncode == 2
    assert "limits.max_events_per_batch" in done.stderr
    with socket.socket() as sock:  # nothing listens on the configured port
        assert sock.connect_ex(("127.0.0.1", int(env["CONSENTRY_HTTP_PORT"]))) != 0


def test_migrate_without_a_server(env: dict[str, str]) -> None:
    first = consentry(env, "migrate")
    assert first.returncode == 0 and "0001_events.sql" in first.stdout
    assert consentry(env, "migrate").stdout.strip() == "applied 0 migration(s)"


def test_sigterm_under_load_exits_zero_and_keeps_every_ack(env: dict[str, str],
                                                          served: tuple[str, subprocess.Popen[bytes]]) -> None:
    import threading

    base, proc = served
    acked: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            batch = make_batch(5)
            try:
                if post(base, msgspec.json.encode(batch)) == 202:
                    acked.extend(e["event_id"] for e in batch["events"])
            except OSError:
                return  # the server went away: stop sending

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    stored_ids = {r["id"] for r in query_json(env, "SELECT toString(event_id) AS id FROM events")}
    assert acked and set(acked) <= stored_ids
