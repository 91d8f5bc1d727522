"""The client against a live `consentry serve` on 127.0.0.1: real HTTP, the real collector, counted at the server."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

from client_support import HASH_KEY, Collector, wait_for

from consentry_client import Client

MARKER = "MARKER-c0ffee"  # in a crash message: must never be found on disk once the report is discarded


def make(base: str, app_dir: Path, **options: Any) -> Client:
    settings: dict[str, Any] = {"app": "interpreter", "app_version": "1.4.2", "flush_interval": 3600, **options}
    return Client(base, data_dir=app_dir, **settings)


def run_app(base: str, app_dir: Path, body: str) -> subprocess.CompletedProcess[str]:
    """The app as its own process, from a script file (so its frames are the app's): `client` is made as in
    make(); `body` runs after. The script lives outside the app's data directory."""
    code = textwrap.dedent(f"""
        from consentry_client import Client
        client = Client({base!r}, app="interpreter", app_version="1.4.2", data_dir={str(app_dir)!r},
                        flush_interval=3600, request_timeout=2)
    """) + textwrap.dedent(body)
    with tempfile.TemporaryDirectory(prefix="cc-script-") as folder:
        script = Path(folder) / "app.py"
        script.write_text(code)
        return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)


CRASHING_APP = f"""
    client.set_consent("telemetry+crash")
    client.track("editor.opened", mode="split")
    client.track("file.open_failed")

    def open_notes():
        raise FileNotFoundError("cannot open /home/alice/notes.txt for alice@example.com {MARKER}")

    open_notes()
"""


def events_of(collector: Collector, install_id: str, prop: str = "n") -> dict[str, Any]:
    """How many events the install has, distinct ids, their names and the numeric prop `prop`, sorted."""
    [row] = collector.query(
        f"SELECT count() AS count, uniqExact(event_id) AS ids, arraySort(groupUniqArray(name)) AS names, "
        f"arraySort(groupArray(toInt64(props_num['{prop}']))) AS values, groupUniqArray(props_str['mode']) AS modes "
        f"FROM events WHERE install_id = '{install_id}'")
    return row


def count(collector: Collector, table: str, install_id: str) -> int:
    rows = collector.query(f"SELECT count() AS n FROM {table} WHERE install_id = '{install_id}'")
    return int(rows[0]["n"])


def on_disk(app_dir: Path, needle: str) -> list[Path]:
    return [p for p in app_dir.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_private_sends_nothing(collector: Collector, app_dir: Path, tmp_path: Path) -> None:
    before = collector.all_requests()
    client = make(collector.base, app_dir, flush_interval=0.1)
    for i in range(200):
        client.track("editor.opened", n=i)
    assert client.capture_crash(RuntimeError("boom")) is None and client.pending_crashes() == []
    assert client.flush(1.0)
    assert client.withdraw(timeout=1.0) is None  # nothing was ever collected: nothing to delete
    client.shutdown(1.0)
    # A user who chose telemetry, on a machine with DO_NOT_TRACK=1: still nothing.
    chosen = make(collector.base, tmp_path, flush_interval=0.1)
    chosen.set_consent("telemetry")
    chosen.shutdown(0)
    forced = make(collector.base, tmp_path, flush_interval=0.1, environ={"DO_NOT_TRACK": "1"})
    assert forced.consent == "private"
    for i in range(200):
        forced.track("editor.opened", n=i)
    forced.flush(1.0)
    forced.shutdown(1.0)
    time.sleep(0.5)  # anything in flight would have arrived by now
    assert collector.all_requests() == before


def test_events_arrive_as_tracked(collector: Collector, app_dir: Path) -> None:
    with make(collector.base, app_dir, batch_size=50) as client:
        client.set_consent("telemetry")
        for i in range(120):
            client.track("editor.opened", mode="split", duration_ms=i, ok=True)
        assert client.flush(30)
        assert client.queued == 0
        install_id = client.install_id
        assert install_id
    stored = events_of(collector, install_id, "duration_ms")
    metrics = collector.metrics()
    assert stored["count"] == stored["ids"] == 120 and stored["names"] == ["editor.opened"], (
        stored["count"], [(k, v) for k, v in metrics.items() if v and ("events" in k or "dropped" in k)])
    assert stored["values"] == list(range(120)) and stored["modes"] == ["split"]


def test_consent_changes_reach_the_registry(collector: Collector, app_dir: Path) -> None:
    from storage.privacy import install_hash  # the collector's keyed hash, to read its registry

    client = make(collector.base, app_dir, policy_version="2026-11")
    client.set_consent("telemetry")
    assert client.flush(30)
    install_id = client.install_id
    assert install_id
    hashed = install_hash(bytes.fromhex(HASH_KEY), uuid.UUID(install_id))

    def registry() -> dict[str, str]:
        rows = collector.query(f"SELECT scope, argMax(state, changed_at) AS state FROM consent_changes "
                               f"WHERE install_hash = '{hashed}' GROUP BY scope")
        return {r["scope"]: r["state"] for r in rows}

    assert wait_for(lambda: registry() == {"telemetry": "granted", "crash_report": "denied"})
    crash = {"crash_id": str(uuid.uuid4()), "install_id": install_id, "consent": {"crash_report": "granted"},
             "context": {"app": "interpreter", "app_version": "1.4.2", "os": "linux"},
             "exception": {"type": "ValueError", "message": "x"}}
    # The registry's "denied" wins over what a request claims (a crash report sent by other code, say).
    status = wait_for(lambda: _post_crash(collector, crash) == 403 and 403)
    assert status == 403

    client.set_consent("private")
    assert client.flush(30)
    assert wait_for(lambda: registry() == {"telemetry": "denied", "crash_report": "denied"})
    batch = {"install_id": install_id, "consent": {"telemetry": "granted"},
             "context": {"app": "interpreter", "app_version": "1.4.2", "os": "linux"},
             "events": [{"event_id": str(uuid.uuid4()), "name": "editor.opened",
                         "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]}

    def refused() -> bool:
        status, body = collector.http("POST", "/v1/events", batch)
        return status == 403 and body["error"]["code"] == "consent_denied"

    assert wait_for(refused)
    client.shutdown(1)


def _post_crash(collector: Collector, report: dict[str, Any]) -> int:
    import urllib.error
    import urllib.request

    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"report\"\r\n"
            f"Content-Type: application/json\r\n\r\n{json.dumps(report)}\r\n--{boundary}--\r\n").encode()
    request = urllib.request.Request(collector.base + "/v1/crashes", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code)


def test_a_registry_denial_stops_the_client_and_keeps_the_reason(collector: Collector, app_dir: Path) -> None:
    client = make(collector.base, app_dir)
    client.set_consent("telemetry")
    assert client.flush(30)
    install_id = client.install_id
    # The same install said no elsewhere (another front end of the app, the web account page).
    denial = {"telemetry": "denied", "policy_version": "web-2"}
    assert collector.http("PUT", f"/v1/installs/{install_id}/consent", denial)[0] == 200
    time.sleep(1.5)  # every worker re-reads the denials within a second
    client.track("editor.opened")
    assert client.flush(30)
    assert client.refusal is not None and client.refusal.code == "consent_denied" and client.queued == 0
    client.track("editor.opened")
    assert client.queued == 0  # stopped until the app records a new choice
    client.set_consent("telemetry")  # the user chose again, here: the registry's latest choice is "granted"
    client.track("editor.opened", again=True)
    assert client.flush(30)
    stored = events_of(collector, install_id)
    assert stored["count"] == 1 and stored["names"] == ["editor.opened"]
    client.shutdown(1)


def test_declined_crash_leaves_nothing(collector: Collector, app_dir: Path) -> None:
    crashes_before = collector.requests("/v1/crashes")
    done = run_app(collector.base, app_dir, CRASHING_APP)
    assert done.returncode == 1 and "FileNotFoundError" in done.stderr  # the app's own traceback still shows
    client = make(collector.base, app_dir)
    [report] = client.pending_crashes()
    assert MARKER in report.message and "alice" not in json.dumps(report.preview())
    report.discard()
    assert client.pending_crashes() == []
    assert client.flush(30)  # the consent change and the two events go; the crash report does not
    install_id = client.install_id
    client.shutdown(1)
    assert on_disk(app_dir, MARKER) == []
    assert collector.requests("/v1/crashes") == crashes_before
    assert count(collector, "crashes", install_id) == 0 and count(collector, "events", install_id) == 2


def test_accepted_crash_arrives_as_previewed(collector: Collector, app_dir: Path) -> None:
    done = run_app(collector.base, app_dir, CRASHING_APP)
    assert done.returncode == 1
    client = make(collector.base, app_dir)
    [report] = client.pending_crashes()
    preview = report.preview()
    assert report.send() == preview["crash_id"]
    assert client.flush(30)
    client.shutdown(1)
    assert on_disk(app_dir, MARKER) == []  # delivered: the outbox row is gone and zeroed
    [row] = collector.query(f"SELECT exception_type, exception_message, frames, breadcrumbs, extra, app, "
                            f"toString(install_id) AS install_id FROM crashes WHERE crash_id = '{report.crash_id}'")
    thread = preview["threads"][0]["frames"]
    assert row["install_id"] == preview["install_id"] and row["app"] == "interpreter"
    assert row["exception_type"] == preview["exception"]["type"] == "FileNotFoundError"
    message = preview["exception"]["message"]
    assert "alice" not in message and "[email]" in message and MARKER in message
    assert row["exception_message"] == message  # the server's deep tier found nothing more here
    stored = [(f["module"], f["function"], f["file"], f["line"], f["in_app"]) if isinstance(f, dict) else tuple(f)
              for f in row["frames"]]
    assert stored == [(f["module"], f["function"], f["file"], f["line"], f["in_app"]) for f in thread]
    assert thread[0]["function"] == "open_notes" and thread[0]["in_app"]
    assert row["breadcrumbs"] == preview["breadcrumbs"] == ["editor.opened", "file.open_failed"]
    assert row["extra"] == preview["extra"]


def test_withdraw_ends_with_the_installs_rows_gone(collector: Collector, app_dir: Path) -> None:
    client = make(collector.base, app_dir)
    client.set_consent("telemetry")
    for i in range(5):
        client.track("editor.opened", n=i)
    assert client.flush(30)
    install_id = client.install_id
    assert install_id and count(collector, "events", install_id) == 5
    client.track("editor.closed")  # queued, never sent: withdraw() deletes it locally
    receipt = client.withdraw(timeout=30)
    assert receipt and client.deletion_receipt == receipt
    assert client.consent == "private" and client.install_id is None and client.queued == 0

    def done() -> bool:
        status, body = collector.http("GET", f"/v1/deletion-requests/{receipt}")
        return status == 200 and body["status"] == "done"

    wait_for(done, timeout=120, interval=0.5)
    assert count(collector, "events", install_id) == 0
    before = collector.all_requests()
    client.track("editor.opened")
    assert client.flush(1)
    client.shutdown(1)
    assert collector.all_requests() == before
    assert on_disk(app_dir, install_id) == []


def test_queue_survives_restart_outage_and_503(own_collector: Collector, app_dir: Path) -> None:
    """Offline from the start, the app exits with its queue on disk; the collector then answers 503 with
    Retry-After (its disk "nearly full"), then is stopped, then comes back: every event arrives once."""
    offline = run_app(own_collector.base, app_dir, """
        client.set_consent("telemetry")
        for i in range(5):
            client.track("editor.opened", n=i)
        assert not client.flush(0.5)
        client.shutdown(0.5)
    """)
    assert offline.returncode == 0, offline.stderr

    own_collector.start(CONSENTRY_SPOOL_MIN_FREE_DISK_BYTES=str(1 << 60))  # every intake: 503, Retry-After: 5
    client = make(own_collector.base, app_dir, backoff_max=1.0)
    assert client.queued == 5
    assert not client.flush(0.2)
    first = wait_for(lambda: own_collector.requests(status="503") >= 1 and time.monotonic(), timeout=30)
    second = wait_for(lambda: own_collector.requests(status="503") >= 2 and time.monotonic(), timeout=30)
    assert 4.8 <= second - first <= 8.0, second - first  # not before Retry-After, and soon after it
    assert not client.flush(0.5)  # a flush does not jump the collector's Retry-After either
    assert own_collector.requests(status="503") == 2
    own_collector.stop()

    client.track("editor.opened", n=5)  # during the outage
    assert not client.flush(1.0)
    own_collector.start()
    assert client.flush(60)
    install_id = client.install_id
    assert install_id
    client.shutdown(1)
    stored = events_of(own_collector, install_id)
    assert stored["count"] == stored["ids"] == 6 and stored["values"] == [0, 1, 2, 3, 4, 5]
