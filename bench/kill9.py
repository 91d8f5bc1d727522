"""Kill -9 fault run: load a real `consentry serve`, SIGKILL all its processes at random moments, restart, repeat;
then check that every acknowledged event id is stored exactly once (as queries see it).

    .venv/bin/python bench/kill9.py --cycles 20          # prints a summary; --json for one JSON object
Bounded: loopback only, `--cycles` restarts, at most `--max-seconds` per cycle of load."""

from __future__ import annotations

import argparse
import asyncio
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

import aiohttp
from rawhttp import free_port  # bench/rawhttp.py: this folder is on sys.path when run as a script

EXE = str(Path(sys.executable).with_name("consentry"))



def body(ids: list[str]) -> bytes:
    now = datetime.now(UTC).isoformat()
    return json.dumps({
        "install_id": str(uuid.uuid4()), "consent": {"telemetry": "granted"},
        "context": {"app": "kill9", "app_version": "1.0", "os": "linux"},
        "events": [{"event_id": i, "name": "fault.test", "ts": now, "props": {"n": 1}} for i in ids],
    }).encode()


async def load(base: str, acked: set[str], stop: asyncio.Event, concurrency: int, per_batch: int) -> None:
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
        await asyncio.gather(*(one_client(session) for _ in range(concurrency)))


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


async def run(cycles: int, workers: int, concurrency: int, per_batch: int, max_seconds: float) -> dict[str, int]:
    data = tempfile.mkdtemp(prefix="cs-k9-")
    port = free_port()
    env = {**os.environ, "CONSENTRY_DATA_DIR": data, "CONSENTRY_HTTP_PORT": str(port),
           "CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS": "0", "CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS": "0"}
    base = f"http://127.0.0.1:{port}"
    acked: set[str] = set()
    rng = random.Random(int(os.environ.get("KILL9_SEED", "0")) or None)
    try:
        for _ in range(cycles):
            proc = start(env, workers)
            await wait_healthy(base, proc)
            stop = asyncio.Event()
            loader = asyncio.create_task(load(base, acked, stop, concurrency, per_batch))
            await asyncio.sleep(rng.uniform(0.2, max_seconds))
            os.killpg(proc.pid, signal.SIGKILL)  # supervisor, writer and workers at once, mid-load
            proc.wait()
            stop.set()
            await loader
        proc = start(env, workers)  # a last clean start drains what the kills left in the spool
        await wait_healthy(base, proc)
        stored = {str(r["id"]) for r in query(env, "SELECT toString(event_id) AS id FROM events")}
        rows = int(query(env, "SELECT count() AS n FROM events")[0]["n"])  # final=1: as queries see it
        proc.send_signal(signal.SIGTERM)
        exit_code = proc.wait(timeout=60)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return {"cycles": cycles, "acknowledged": len(acked), "lost": len(acked - stored),
            "stored_rows": rows, "duplicates": rows - len(stored), "clean_exit": int(exit_code == 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--events-per-batch", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=2.0, help="longest load period before a kill")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.cycles, args.workers, args.concurrency, args.events_per_batch, args.max_seconds))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
