"""Load generator: posts pre-encoded native event batches to POST /v1/events on a loopback collector."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
import msgspec
import rawhttp  # bench/rawhttp.py: this folder is on sys.path when run as a script
import zstandard

ENCODINGS = ("json", "msgpack", "gzip", "zstd")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
EVENT_NAMES = ("editor.opened", "editor.closed", "file.saved", "search.run", "build.started",
               "build.finished", "settings.changed", "panel.toggled", "command.invoked", "session.idle")
STR_PROPS = {"mode": ("split", "single", "zen"), "theme": ("dark", "light", "auto"),
             "source": ("menu", "shortcut", "palette", "toolbar"), "lang": ("python", "rust", "go", "ts"),
             "result": ("ok", "cancelled", "failed"), "panel": ("terminal", "problems", "output")}
NUM_PROPS = ("duration_ms", "count", "size_kb", "retries")
BOOL_PROPS = ("ok", "first_run", "remote")
CONTEXTS = ({"app": "interpreter", "app_version": "1.4.2", "os": "macos", "os_version": "15.1",
             "device_type": "laptop"},
            {"app": "interpreter", "app_version": "1.5.0-beta.1", "os": "linux", "os_version": "6.8",
             "device_type": "desktop"},
            {"app": "studio", "app_version": "2.0.3", "os": "windows", "os_version": "11", "device_type": "laptop"})


@dataclass(frozen=True)
class Body:
    data: bytes
    headers: dict[str, str]
    events: int


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:8080", help="collector base URL (loopback only)")
    p.add_argument("--concurrency", type=int, default=8)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--batches", type=int, help="requests to send in total (default 200)")
    group.add_argument("--seconds", type=float, help="send for this long, at most --max-batches requests")
    p.add_argument("--max-batches", type=int, default=3000, help="bodies pre-built in --seconds mode")
    p.add_argument("--events-per-batch", type=int, default=100)
    p.add_argument("--encoding", choices=ENCODINGS, default="json")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print one JSON summary line instead of text")
    p.add_argument("--client", choices=("aiohttp", "raw"), default="aiohttp",
                   help="aiohttp's client, or a minimal keep-alive HTTP/1.1 client that leaves more CPU to the server")
    args = p.parse_args(argv)
    if args.batches is None and args.seconds is None:
        args.batches = 200
    return args


def check_loopback(url: str) -> str:
    """Return the base URL without a trailing slash; refuse anything but a loopback host."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise SystemExit(f"refusing target {url!r}: only http://127.0.0.1 (loopback) is allowed")
    return url.rstrip("/")


def _props(rng: random.Random) -> dict[str, str | int | float | bool]:
    """5-8 props: 2-3 enum-like strings, 2-3 numbers, the rest bools."""
    n_str, n_num = rng.randint(2, 3), rng.randint(2, 3)
    n_bool = rng.randint(max(0, 5 - n_str - n_num), min(len(BOOL_PROPS), 8 - n_str - n_num))
    props: dict[str, str | int | float | bool] = {}
    for k in rng.sample(sorted(STR_PROPS), n_str):
        props[k] = rng.choice(STR_PROPS[k])
    for k in rng.sample(NUM_PROPS, n_num):
        props[k] = round(rng.uniform(0, 900), 2) if k == "size_kb" else rng.randint(0, 50_000)
    for k in rng.sample(BOOL_PROPS, n_bool):
        props[k] = rng.random() < 0.5
    return props


USERS = ("alice", "bob.smith", "chen", "dmitri", "emma.j", "fatima", "george", "hana")


def _personal(rng: random.Random, user: str) -> dict[str, str]:
    """A prop that holds something personal, as real telemetry sometimes does: a path in the install's user's
    home directory or the user's e-mail address inside a message."""
    if rng.random() < 0.5:
        project, ext = rng.choice(("api", "web", "tools")), rng.choice(("py", "rs"))
        return {"file_path": f"/home/{user}/src/{project}/main.{ext}"}
    return {"error": f"could not notify {user}@example.org: mailbox full"}


def _event(rng: random.Random, ts: str, session_id: str, personal_share: float = 0.0,
           user: str = "") -> dict[str, object]:
    props = _props(rng)
    if personal_share and rng.random() < personal_share:
        props |= _personal(rng, user)
    return {"event_id": str(uuid.uuid4()), "name": rng.choice(EVENT_NAMES), "ts": ts, "session_id": session_id,
            "props": props}


def _batch(rng: random.Random, install_id: str, events: int, personal_share: float = 0.0,
           user: str = "") -> dict[str, object]:
    ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    session_id = str(uuid.uuid4())
    return {"install_id": install_id,
            "consent": {"telemetry": "granted", "policy_version": "2026-01-21"},
            "context": rng.choice(CONTEXTS),
            "events": [_event(rng, ts, session_id, personal_share, user) for _ in range(events)]}


def encode(doc: dict[str, object], encoding: str) -> tuple[bytes, dict[str, str]]:
    """Encode one batch as the wire body plus its Content-Type / Content-Encoding headers."""
    if encoding == "msgpack":
        return msgspec.msgpack.encode(doc), {"Content-Type": "application/msgpack"}
    raw = msgspec.json.encode(doc)
    headers = {"Content-Type": "application/json"}
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=6), headers | {"Content-Encoding": "gzip"}
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(raw), headers | {"Content-Encoding": "zstd"}
    return raw, headers


def build_bodies(count: int, concurrency: int, events: int, encoding: str, seed: int, *,
                 installs: int | None = None, personal_share: float = 0.0) -> list[Body]:
    """Pre-build every request body (unique event ids throughout); body i posts as install i mod `installs`
    (default: one install per connection). `personal_share` of the events carry a path or an e-mail address."""
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(installs or concurrency)]
    bodies = []
    for i in range(count):
        install = i % len(ids)
        user = f"{USERS[install % len(USERS)]}{install}"  # one user per install: their values repeat, not others'
        data, headers = encode(_batch(rng, ids[install], events, personal_share, user), encoding)
        bodies.append(Body(data, headers, events))
    return bodies


async def _post(session: aiohttp.ClientSession, url: str, body: Body, stats: Stats) -> None:
    started = time.perf_counter()
    try:
        async with session.post(url, data=body.data, headers=body.headers) as resp:
            payload = await resp.read()
            stats.statuses[resp.status] += 1
            if resp.status == 202:
                stats.accepted += msgspec.json.decode(payload)["accepted"]
    except (aiohttp.ClientError, TimeoutError) as exc:
        stats.failures[type(exc).__name__] += 1
    stats.latencies.append(time.perf_counter() - started)


async def _worker(session: aiohttp.ClientSession, url: str, bodies: list[Body], worker: int, step: int,
                  deadline: float, stats: Stats) -> None:
    for body in bodies[worker::step]:
        if time.perf_counter() >= deadline:
            return
        await _post(session, url, body, stats)


async def run_raw_load(url: str, bodies: list[Body], concurrency: int,
                       seconds: float | None) -> tuple[Stats, float]:
    """run_load with the raw client (--client raw, bench/rawhttp.py)."""
    parts = urlsplit(url)
    requests = iter([rawhttp.request_bytes("POST", "/v1/events", parts.netloc, body.headers, body.data)
                     for body in bodies])
    tally = rawhttp.Tally(ok=202, count_accepted=True)
    cpu_started = time.process_time()
    deadline = time.perf_counter() + seconds if seconds else float("inf")

    def take() -> tuple[bytes, float] | None:
        request = next(requests, None)
        return None if request is None or time.perf_counter() >= deadline else (request, 0.0)

    elapsed = await rawhttp.drive(parts.port or 80, concurrency, take, tally)
    stats = Stats(tally.latencies, tally.statuses, tally.accepted, tally.failures,
                  time.process_time() - cpu_started)
    return stats, elapsed


async def run_load(url: str, bodies: list[Body], concurrency: int, seconds: float | None) -> tuple[Stats, float]:
    """Send every body once across `concurrency` workers; return the stats and the wall time (and the client's
    own CPU time while sending in stats.cpu_seconds, so a driver can tell it apart from the body building)."""
    stats = Stats()
    cpu_started = time.process_time()
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + seconds if seconds else float("inf")
        await asyncio.gather(*(_worker(session, f"{url}/v1/events", bodies, w, concurrency, deadline, stats)
                               for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    stats.cpu_seconds = time.process_time() - cpu_started
    return stats, elapsed


def _pct(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def summarize(stats: Stats, elapsed: float, concurrency: int, encoding: str) -> dict[str, object]:
    ms = sorted(x * 1000 for x in stats.latencies)
    errors = {str(k): v for k, v in sorted(stats.statuses.items()) if k != 202} | dict(stats.failures)
    return {"concurrency": concurrency, "encoding": encoding, "requests": len(ms), "accepted": stats.accepted,
            "errors": errors, "seconds": round(elapsed, 3), "cpu_seconds": round(stats.cpu_seconds, 3),
            "events_per_s": round(stats.accepted / elapsed, 1), "requests_per_s": round(len(ms) / elapsed, 1),
            "p50_ms": round(_pct(ms, 0.50), 2), "p90_ms": round(_pct(ms, 0.90), 2),
            "p99_ms": round(_pct(ms, 0.99), 2), "max_ms": round(ms[-1], 2) if ms else float("nan")}


def print_text(s: dict[str, object]) -> None:
    print(f"concurrency={s['concurrency']} encoding={s['encoding']} time={s['seconds']}s")
    print(f"requests={s['requests']} events_accepted={s['accepted']} errors={s['errors'] or 'none'}")
    print(f"events/s={s['events_per_s']} requests/s={s['requests_per_s']}")
    print(f"latency ms: p50={s['p50_ms']} p90={s['p90_ms']} p99={s['p99_ms']} max={s['max_ms']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = check_loopback(args.url)
    if args.concurrency < 1 or args.events_per_batch < 1 or (args.batches is not None and args.batches < 1):
        raise SystemExit("--concurrency, --batches and --events-per-batch must be positive")
    count = args.batches if args.batches is not None else args.max_batches
    bodies = build_bodies(count, args.concurrency, args.events_per_batch, args.encoding, args.seed)
    runner = run_raw_load if args.client == "raw" else run_load
    stats, elapsed = asyncio.run(runner(url, bodies, args.concurrency, args.seconds))
    summary = summarize(stats, elapsed, args.concurrency, args.encoding)
    if args.json:
        print(msgspec.json.encode(summary).decode())
    else:
        print_text(summary)
    return 0 if not summary["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
