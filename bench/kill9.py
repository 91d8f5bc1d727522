"""Kill -9 fault run: load a real `consentry serve`, SIGKILL all its processes at random moments, restart, repeat;
then check that every acknowledged event id is stored exactly once (as queries see it), and every acknowledged
crash too: its row once, and its minidump object readable with the sha256 that was sent.

    .venv/bin/python bench/kill9.py --cycles 20          # prints a summary; --json for one JSON object

Crash load (`--crash-clients`, 0 for events only): Crashpad-style uploads to POST /v1/crashes (annotations with
consent granted and a `consentry_crash_id`, an `upload_file_minidump` part: a real fixture dump padded with random
bytes), each client alternating a dump past the object store's memory buffer (streamed to a spill file, renamed
into place on commit) and a small one (held in memory). Objects no row refers to are counted as orphans, not
failures: a worker killed between committing a dump and spooling its row leaves one for the reconcile job, and that
upload was never acknowledged. Spill files of killed workers are counted too (start-up removes them once an hour
old, so after a short run they are all still there).
Bounded: loopback only, `--cycles` restarts, at most `--max-seconds` per cycle of load."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import aiohttp
from rawhttp import free_port  # bench/rawhttp.py: this folder is on sys.path when run as a script

from storage.errors import StorageError
from storage.objects import LocalObjectStore
from storage.objects.local import TMP_PREFIX
from storage.objects.staged import STAGE_BUFFER

EXE = str(Path(sys.executable).with_name("consentry"))
FIXTURE_DUMP = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "minidumps" / "windows_amd64.dmp"
SMALL_DUMP_PAD = 16 << 10  # well under STAGE_BUFFER: committed from memory
BIG_DUMP_PAD = STAGE_BUFFER + (256 << 10)  # past it: spilled to a file at the objects' root


class Sent(NamedTuple):
    """An acknowledged crash upload's dump."""

    sha256: str
    size: int


def body(ids: list[str]) -> bytes:
    now = datetime.now(UTC).isoformat()
    return json.dumps({
        "install_id": str(uuid.uuid4()), "consent": {"telemetry": "granted"},
        "context": {"app": "kill9", "app_version": "1.0", "os": "linux"},
        "events": [{"event_id": i, "name": "fault.test", "ts": now, "props": {"n": 1}} for i in ids],
    }).encode()


def crash_form(crash_id: str, dump: bytes) -> aiohttp.FormData:
    """A Crashpad upload as Electron's crashReporter sends it, with the user's consent annotation."""
    form = aiohttp.FormData()
    notes = {"prod": "kill9", "ver": "1.0", "guid": str(uuid.uuid4()), "platform": "win32",
             "process_type": "browser", "consent_crash_report": "granted", "consentry_crash_id": crash_id}
    for name, value in notes.items():
        form.add_field(name, value)
    form.add_field("upload_file_minidump", dump, filename="upload_file_minidump",
                   content_type="application/octet-stream")
    return form


async def load(base: str, acked: set[str], crashes: dict[str, Sent], stop: asyncio.Event, concurrency: int,
               per_batch: int, crash_clients: int, rng: random.Random) -> None:
    """Events from `concurrency` clients, crash uploads from `crash_clients`; `crashes` maps each acknowledged
    crash id to the dump it sent."""
    fixture = FIXTURE_DUMP.read_bytes()

    async def crash_client(session: aiohttp.ClientSession) -> None:
        big = rng.random() < 0.5
        while not stop.is_set():
            big = not big
            crash_id = str(uuid.uuid4())
            dump = fixture + rng.randbytes(BIG_DUMP_PAD if big else SMALL_DUMP_PAD)
            try:
                async with session.post(base + "/v1/crashes", data=crash_form(crash_id, dump)) as response:
                    if response.status == 200 and (await response.text()).strip() == crash_id:
                        crashes[crash_id] = Sent(hashlib.sha256(dump).hexdigest(), len(dump))
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.05)

    async def one_client(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            ids = [str(uuid.uuid4()) for _ in range(per_batch)]
            try:
                async with session.post(base + "/v1/events", data=body(ids),
                                        headers={"Content-Type": "application/json"}) as response:
                    if response.status == 202:
                        acked.update(ids)
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.05)  # the server is down: keep trying until the cycle ends

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(one_client(session) for _ in range(concurrency)),
                             *(crash_client(session) for _ in range(crash_clients)))


def start(env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    log = open(Path(env["CONSENTRY_DATA_DIR"]) / "serve.log", "ab")  # noqa: SIM115 - lives as long as the child
    return subprocess.Popen([EXE, "serve", "--workers", str(workers)], env=env, stdout=log, stderr=log,
                            start_new_session=True)


async def wait_healthy(base: str, proc: subprocess.Popen[bytes], limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited with {proc.returncode}")
            try:
                async with session.get(base + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("serve not healthy in time")


def query(env: dict[str, str], sql: str) -> list[dict[str, object]]:
    done = subprocess.run([EXE, "query", "--format", "json", sql], env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def check_crashes(env: dict[str, str], crashes: dict[str, Sent]) -> dict[str, int]:
    """Acknowledged crashes against the crashes table (as queries see it) and the local object store."""
    rows = query(env, "SELECT toString(crash_id) AS id, minidump_key AS key, minidump_sha256 AS sha, "
                      "minidump_size AS size FROM crashes")
    by_id = {str(row["id"]): row for row in rows}
    objects = LocalObjectStore(Path(env["CONSENTRY_DATA_DIR"]) / "objects")
    bad_dumps = 0
    for crash_id, sent in crashes.items():
        row = by_id.get(crash_id)
        if row is None:
            continue  # lost: counted below
        try:
            stored = hashlib.sha256(objects.get(str(row["key"]))).hexdigest()
        except (ValueError, OSError, StorageError):  # no key, or no object under it
            stored = ""
        bad_dumps += not (row["sha"] == sent.sha256 == stored and int(str(row["size"])) == sent.size)
    # crashes/YYYY/MM/DD/<crash_id>/minidump.dmp: an object whose crash id has no row is an orphan
    orphans = sum(1 for info in objects.list("crashes/") if info.key.split("/")[4] not in by_id)
    spilled = sum(1 for path in objects.root.iterdir() if path.name.startswith(TMP_PREFIX))
    return {"crashes_acknowledged": len(crashes),
            "crashes_acknowledged_spilled": sum(sent.size > STAGE_BUFFER for sent in crashes.values()),
            "crashes_lost": len(crashes.keys() - by_id.keys()),
            "crash_bad_dumps": bad_dumps, "crash_rows": len(rows), "crash_duplicates": len(rows) - len(by_id),
            "crash_rows_unacknowledged": len(by_id.keys() - crashes.keys()), "crash_orphan_objects": orphans,
            "spill_files_left": spilled}


async def run(cycles: int, workers: int, concurrency: int, per_batch: int, max_seconds: float,
              crash_clients: int) -> dict[str, int]:
    data = tempfile.mkdtemp(prefix="cs-k9-")
    port = free_port()
    env = {**os.environ, "CONSENTRY_DATA_DIR": data, "CONSENTRY_HTTP_PORT": str(port),
           "CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS": "0", "CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS": "0"}
    base = f"http://127.0.0.1:{port}"
    acked: set[str] = set()
    crashes: dict[str, Sent] = {}
    rng = random.Random(int(os.environ.get("KILL9_SEED", "0")) or None)
    try:
        for _ in range(cycles):
            proc = start(env, workers)
            await wait_healthy(base, proc)
            stop = asyncio.Event()
            loader = asyncio.create_task(load(base, acked, crashes, stop, concurrency, per_batch, crash_clients,
                                              rng))
            await asyncio.sleep(rng.uniform(0.2, max_seconds))
            os.killpg(proc.pid, signal.SIGKILL)  # supervisor, writer and workers at once, mid-load
            proc.wait()
            stop.set()
            await loader
        proc = start(env, workers)  # a last clean start drains what the kills left in the spool
        await wait_healthy(base, proc)
        stored = {str(r["id"]) for r in query(env, "SELECT toString(event_id) AS id FROM events")}
        rows = int(str(query(env, "SELECT count() AS n FROM events")[0]["n"]))  # final=1: as queries see it
        crash_figures = check_crashes(env, crashes) if crash_clients else {}
        proc.send_signal(signal.SIGTERM)
        exit_code = proc.wait(timeout=60)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return {"cycles": cycles, "acknowledged": len(acked), "lost": len(acked - stored),
            "stored_rows": rows, "duplicates": rows - len(stored), **crash_figures, "clean_exit": int(exit_code == 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--events-per-batch", type=int, default=20)
    parser.add_argument("--crash-clients", type=int, default=2,
                        help="clients sending Crashpad uploads alongside the events (0: events only)")
    parser.add_argument("--max-seconds", type=float, default=2.0, help="longest load period before a kill")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.cycles, args.workers, args.concurrency, args.events_per_batch, args.max_seconds,
                               args.crash_clients))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
