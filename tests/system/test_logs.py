"""The log of a full run of the real multi-process `consentry serve` (JSON lines, level debug, behind a trusted
proxy setting) holds no planted value: no removed value (email, phone, card, token in free text), no install id,
no client address, no admin token, no SDK key. Every line is one JSON object with time, level, logger, message.

The run goes through every front door, refusals, admin calls with a wrong and a right token, consent, a deletion
request, the jobs and a query, then SIGTERM; bounded (each request 10 s, the whole run well under a minute)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from serving import EXE, free_port, wait_healthy
from support import make_batch

INSTALL_ID = str(uuid.uuid4())
CLIENT_IP = "203.0.113.77"  # the forwarded client address
EMAIL = "planted.person@example.org"
PHONE = "+44 20 7946 0958"
CARD = "4111 1111 1111 1111"
BEARER = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # a GitHub-token-shaped secret in free text
ADMIN_TOKEN = "admin-" + uuid.uuid4().hex
WRONG_TOKEN = "wrong-" + uuid.uuid4().hex
SDK_KEY = "phc_" + uuid.uuid4().hex  # a known PostHog key
UNKNOWN_KEY = "phc_" + uuid.uuid4().hex  # an unknown one (refused, must not be echoed into the log)
PLANTED = [INSTALL_ID, INSTALL_ID.replace("-", ""), CLIENT_IP, EMAIL, PHONE, CARD, BEARER, ADMIN_TOKEN, WRONG_TOKEN,
           SDK_KEY, UNKNOWN_KEY]


def _call(base: str, method: str, path: str, body: bytes | None = None, **headers: str) -> int:
    request = urllib.request.Request(base + path, data=body, method=method,
                                     headers={"X-Forwarded-For": CLIENT_IP, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


@pytest.fixture
def run() -> Iterator[tuple[dict[str, str], Path]]:
    data = tempfile.mkdtemp(prefix="cs-log-")
    keys = {SDK_KEY: {"app": "editor", "scopes": ["telemetry", "crash_report"]}}
    env = {**os.environ, "CONSENTRY_DATA_DIR": data, "CONSENTRY_HTTP_PORT": str(free_port()),
           "CONSENTRY_HTTP_WORKERS": "2", "CONSENTRY_LOG_FORMAT": "json", "CONSENTRY_LOG_LEVEL": "debug",
           "CONSENTRY_HTTP_TRUSTED_PROXIES": "127.0.0.0/8", "CONSENTRY_ADMIN_TOKEN": ADMIN_TOKEN,
           "CONSENTRY_INGEST_KEYS": json.dumps(keys)}
    yield env, Path(data)
    shutil.rmtree(data, ignore_errors=True)


def test_a_full_run_logs_json_lines_without_any_planted_value(run: tuple[dict[str, str], Path]) -> None:
    env, data = run
    log_path = data.parent / (data.name + ".log")
    with log_path.open("wb") as sink:
        proc = subprocess.Popen([EXE, "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['CONSENTRY_HTTP_PORT']}"
    try:
        wait_healthy(base, proc, timeout_s=60)
        free_text = f"contact {EMAIL} or {PHONE}, card {CARD}, token {BEARER}"
        batch = make_batch(3, install_id=INSTALL_ID, props={"mode": "split", "note": free_text})
        json_type = {"Content-Type": "application/json"}
        assert _call(base, "POST", "/v1/events", msgspec.json.encode(batch), **json_type) == 202
        assert _call(base, "POST", "/v1/events", b'{"install_id": "' + INSTALL_ID.encode() + b'"',
                     **json_type) == 400
        bad_consent = make_batch(1, install_id=INSTALL_ID, consent="denied")
        assert _call(base, "POST", "/v1/events", msgspec.json.encode(bad_consent), **json_type) == 403
        capture = {"api_key": SDK_KEY, "event": "opened", "distinct_id": INSTALL_ID,
                   "properties": {"$consent": "granted", "note": free_text}}
        assert _call(base, "POST", "/capture/", msgspec.json.encode(capture), **json_type) == 200
        assert _call(base, "POST", "/capture/", msgspec.json.encode({**capture, "api_key": UNKNOWN_KEY}),
                     **json_type) == 401
        envelope = f'{{"dsn": "http://{UNKNOWN_KEY}@x/1"}}\n{{"type": "event"}}\n{{"message": "{free_text}"}}\n'
        assert _call(base, "POST", f"/api/1/envelope/?sentry_key={UNKNOWN_KEY}", envelope.encode()) == 401
        consent = msgspec.json.encode({"policy_version": "2026-01", "telemetry": "granted"})
        assert _call(base, "PUT", f"/v1/installs/{INSTALL_ID}/consent", consent, **json_type) == 200
        assert _call(base, "GET", "/v1/admin/crash-groups", Authorization=f"Bearer {WRONG_TOKEN}") == 401
        assert _call(base, "GET", "/v1/admin/crash-groups", Authorization=f"Bearer {ADMIN_TOKEN}") == 200
        deletion = msgspec.json.encode({"install_id": INSTALL_ID})
        assert _call(base, "POST", "/v1/deletion-requests", deletion, **json_type) == 202
        assert _call(base, "POST", "/v1/events", msgspec.json.encode(make_batch(1, install_id=INSTALL_ID)),
                     **json_type) in (202, 403)  # 403 once the writer has published the block list
        for job in ("deletions", "all"):
            done = subprocess.run([EXE, "jobs", "run", job], env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        done = subprocess.run([EXE, "query", "SELECT count() FROM events"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log_path.read_text(encoding="utf-8")
    log_path.unlink()
    lines = text.splitlines()
    assert lines, "serve logged nothing"
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= set(entry), line
    assert any(json.loads(line)["message"].startswith("listening on") for line in lines)
    lowered = text.lower()
    for value in PLANTED:
        assert value.lower() not in lowered, f"planted value {value!r} is in the log"
