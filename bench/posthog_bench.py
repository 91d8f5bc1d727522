"""PostHog front door vs the native API: events/s through `POST /batch/` (posthog-python's v0 bodies, 100 events
each) and through `POST /v1/events` (native batches of the same size and props), on one `consentry serve` on
loopback. Every body is built before timing starts and never reused; the run is bounded and stops by itself.

    .venv/bin/python bench/posthog_bench.py                     # ~1 min on 2 cores
    .venv/bin/python bench/posthog_bench.py --batches 300 --concurrency 1 8 --users-per-batch 1 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import msgspec

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from load import _props, build_bodies  # noqa: E402
from rawhttp import free_port  # noqa: E402
from run_ingest_bench import CONSENTRY, HOST, ROOT, server  # noqa: E402

KEY = "phc_bench"
NAMES = ("editor_opened", "file_saved", "$pageview", "search_run", "Build Started", "settings_changed")
LIB = {"$lib": "posthog-python", "$lib_version": "7.91.1", "$geoip_disable": True, "$is_server": True,
       "$python_runtime": "CPython", "$python_version": "3.11.7", "$os": "Linux", "$os_version": "6.8",
       "$os_distro": "Debian GNU/Linux"}


def posthog_bodies(count: int, events: int, users: int, seed: int) -> list[bytes]:
    """posthog-python /batch/ bodies: `users` distinct ids per batch, the load.py props plus the SDK's own."""
    rng = random.Random(seed)
    bodies = []
    for i in range(count):
        ts = datetime.now(UTC).isoformat()
        ids = [f"user-{i}-{u}@example.org" for u in range(users)]
        batch = [{"event": rng.choice(NAMES), "distinct_id": ids[n % users], "uuid": str(uuid.uuid4()),
                  "timestamp": ts, "properties": _props(rng) | LIB | {"$current_url": "https://app.example/x?q=1"}}
                 for n in range(events)]
        bodies.append(msgspec.json.encode({"batch": batch, "historical_migration": False, "sent_at": ts,
                                           "api_key": KEY}))
    return bodies


async def drive(url: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int,
                ok: int) -> tuple[float, Counter[int]]:
    statuses: Counter[int] = Counter()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout) as s:
        async def worker(w: int) -> None:
            for data, headers in bodies[w::concurrency]:
                async with s.post(url, data=data, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    if set(statuses) != {ok}:
        raise SystemExit(f"unexpected statuses from {url}: {dict(statuses)}")
    return elapsed, statuses


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, default=300, help="requests per run")
    p.add_argument("--events-per-batch", type=int, default=100)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    p.add_argument("--users-per-batch", type=int, nargs="+", default=[1, 10],
                   help="distinct_ids per PostHog batch (each is one install: one spool record)")
    args = p.parse_args()
    port, data_dir = free_port(), tempfile.mkdtemp(prefix="consentry-phbench-")
    env = {"CONSENTRY_DATA_DIR": data_dir, "CONSENTRY_HTTP_PORT": str(port), "PYTHONPATH": str(ROOT),
           "CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS": "0", "CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS": "0",
           "CONSENTRY_INGEST_KEYS": json.dumps({KEY: {"app": "bench", "scopes": ["telemetry"]}})}
    base = f"http://{HOST}:{port}"
    n, e = args.batches, args.events_per_batch
    rows = []
    try:
        with server([CONSENTRY, "serve"], port, env, Path(data_dir) / "serve.log"):
            warm = [(b.data, b.headers) for b in build_bodies(20, 4, e, "json", 99)]
            asyncio.run(drive(f"{base}/v1/events", warm, 4, 202))
            asyncio.run(drive(f"{base}/batch/", [(b, {"Content-Type": "application/json"})
                                                 for b in posthog_bodies(20, e, 1, 99)], 4, 200))
            for c in args.concurrency:
                native = [(b.data, b.headers) for b in build_bodies(n, c, e, "json", c)]
                elapsed, _ = asyncio.run(drive(f"{base}/v1/events", native, c, 202))
                rows.append(("native /v1/events", c, "-", n * e / elapsed, elapsed))
                for users in args.users_per_batch:
                    bodies = [(b, {"Content-Type": "application/json"}) for b in posthog_bodies(n, e, users, c)]
                    elapsed, _ = asyncio.run(drive(f"{base}/batch/", bodies, c, 200))
                    rows.append(("posthog /batch/", c, str(users), n * e / elapsed, elapsed))
                print(f"  c={c} done", flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\n{n} requests x {e} events per run (JSON, uncompressed), acked events/s (200 / 202 after fsync)")
    print("| endpoint | concurrency | users per batch | events/s | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for name, c, users, rate, elapsed in rows:
        print(f"| {name} | {c} | {users} | {rate:,.0f} | {elapsed:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
