"""`consentry crashes top|show|dump` as a user runs them, while `serve` runs (control socket) and after it stopped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
import urllib3
from serving import EXE, free_port

DUMP = (Path(__file__).parents[1] / "fixtures" / "minidumps" / "windows_amd64.dmp").read_bytes()
TOKEN = "system-test-admin-token-0123456789abcdef"


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    data = tempfile.mkdtemp(prefix="cs-tri-")
    yield {**os.environ, "CONSENTRY_DATA_DIR": data, "CONSENTRY_HTTP_PORT": str(free_port()),
           "CONSENTRY_ADMIN_TOKEN": TOKEN}
    shutil.rmtree(data, ignore_errors=True)


def consentry(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=60)


def ok(env: dict[str, str], *args: str) -> str:
    done = consentry(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`consentry serve` with its default workers: several processes, so admin queries cross the control socket."""
    with (Path(env["CONSENTRY_DATA_DIR"]) / "serve.log").open("wb") as sink:
        proc = subprocess.Popen([EXE, "serve", "--workers", "2"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['CONSENTRY_HTTP_PORT']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, "serve exited early"
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not become ready in 30 s"
                time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def post_crash(base: str, function: str, version: str, dump: bool = True) -> dict[str, Any]:
    report = {
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()), "consent": {"crash_report": "granted"},
        "context": {"app": "interpreter", "app_version": version, "os": "linux", "os_version": "6.8"},
        "ts": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
        "exception": {"type": "SegmentationFault", "message": "read at 0x10"},
        "threads": [{"crashed": True, "frames": [{"function": function, "module": "interpreter.core",
                                                  "file": "core.py", "line": 7, "in_app": True}]}],
    }
    fields: dict[str, Any] = {"report": ("report.json", msgspec.json.encode(report), "application/json")}
    if dump:
        fields["minidump"] = ("crash.dmp", DUMP, "application/octet-stream")
    body, content_type = urllib3.encode_multipart_formdata(fields)
    request = urllib.request.Request(base + "/v1/crashes", data=body, headers={"Content-Type": content_type})
    # Generous: the first crash a fresh worker redacts runs the deep tier's first call, seconds on a loaded machine
    # (a fresh-clone CI run timed out at 10 s); this is a liveness bound, not a speed check.
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202
        return {**report, "group_id": json.loads(response.read())["group_id"]}


def admin_get(base: str, path: str, token: str = TOKEN) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check_reports(env: dict[str, str], big: dict[str, Any], small: dict[str, Any], bare: dict[str, Any]) -> str:
    """Every report the CLI offers, as seen now; returns the JSON outputs so a later run can compare."""
    top = [json.loads(line) for line in ok(env, "crashes", "top", "--format", "json").splitlines()]
    assert [(g["group_id"], g["crashes"]) for g in top] == [(big["group_id"], 3), (small["group_id"], 1)]
    assert top[0]["releases"] == ["1.0.0", "1.1.0"] and top[0]["installs"] == 3
    only = ok(env, "crashes", "top", "--release", "1.1.0", "--since", "24h", "--format", "json").splitlines()
    assert sorted((json.loads(line)["group_id"], json.loads(line)["crashes"]) for line in only) == sorted(
        [(big["group_id"], 1), (small["group_id"], 1)])
    empty = ok(env, "crashes", "top", "--since", "2999-01-01").splitlines()
    assert empty[0].split()[0] == "group_id" and empty[-1] == "(0 rows)"
    table = ok(env, "crashes", "top").splitlines()
    assert table[0].split()[:3] == ["group_id", "crashes", "installs"] and big["group_id"] in table[2]
    show = json.loads(ok(env, "crashes", "show", big["group_id"], "--format", "json"))
    assert show["group"]["crashes"] == 3 and len(show["crashes"]) == 3
    assert show["crashes"][0]["frames"][0]["function"] == "run"
    text = ok(env, "crashes", "show", big["group_id"])
    assert "interpreter.core:run" in text and "SegmentationFault" in text
    out = Path(env["CONSENTRY_DATA_DIR"]) / f"dump-{uuid.uuid4().hex}.dmp"
    assert "wrote" in ok(env, "crashes", "dump", big["crash_id"], "--out", str(out))
    assert out.read_bytes() == DUMP and out.stat().st_mode & 0o777 == 0o600
    refused = consentry(env, "crashes", "dump", big["crash_id"], "--out", str(out))
    assert refused.returncode == 1 and "--force" in refused.stderr
    out.write_bytes(b"old")
    ok(env, "crashes", "dump", big["crash_id"], "--out", str(out), "--force")
    assert out.read_bytes() == DUMP
    none = consentry(env, "crashes", "dump", bare["crash_id"], "--out", str(out) + ".none")
    assert none.returncode == 1 and "has no minidump" in none.stderr
    unknown = consentry(env, "crashes", "show", "f" * 32)
    assert unknown.returncode == 1 and "no crash group" in unknown.stderr
    return json.dumps([top, show])


def test_crashes_cli_while_serving_and_after(env: dict[str, str], served: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, proc = served
    big = post_crash(base, "run", "1.0.0")
    post_crash(base, "run", "1.0.0")
    bare = post_crash(base, "run", "1.1.0", dump=False)
    small = post_crash(base, "parse", "1.1.0")
    while_serving = check_reports(env, big, small, bare)
    # The same reports from the admin API, answered by a worker process through the writer's control socket.
    status, body = admin_get(base, "/v1/admin/crash-groups")
    assert status == 200 and [g["group_id"] for g in json.loads(body)["groups"]] == [big["group_id"],
                                                                                     small["group_id"]]
    assert admin_get(base, f"/v1/admin/crashes/{big['crash_id']}/minidump") == (200, DUMP)
    assert admin_get(base, "/v1/admin/crash-groups", token="wrong")[0] == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert check_reports(env, big, small, bare) == while_serving  # no server: the CLI opens the engine itself


@pytest.mark.parametrize("args", [
    ("show", "not-a-group"), ("show", "a" * 31), ("dump", "nope", "--out", "x"), ("dump", str(uuid.uuid4())),
    ("top", "--since", "7x"), ("top", "--since", "yesterday"), ("top", "--release", "1.0'; DROP TABLE crashes--"),
    ("top", "--limit", "0"),
])
def test_malformed_arguments_are_refused_before_any_query(env: dict[str, str], args: tuple[str, ...]) -> None:
    done = consentry(env, "crashes", *args)
    assert done.returncode == 2 and "error" in done.stderr
    assert not (Path(env["CONSENTRY_DATA_DIR"]) / "clickhouse").exists()  # nothing was opened
