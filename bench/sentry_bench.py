"""Sentry envelopes/s through POST /api/{project}/envelope/ vs the same crash through native POST /v1/crashes.

Starts `consentry serve` on a fresh data dir and a free loopback port (with an ingest key), sends --warmup then
--count requests of each kind at --concurrency, prints requests/s and latency, SIGTERMs the server. Every body
is built before timing starts and every one is a different crash from a different user / install (so neither
dedup nor the per-install rate limit hides or refuses work). Both carry the same exception, the same 3 frames and
a similar amount of text; the Sentry one also carries what sentry-sdk adds (locals, source lines, user, tags,
extra, breadcrumbs, modules) and is gzip-compressed as the SDK sends it without brotli.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rawhttp import free_port  # noqa: E402
from run_ingest_bench import CONSENTRY, HOST, server  # noqa: E402

KEY = "bench_key"
TEXT = "Customer wrote: my name is Alice Example, call +44 20 7946 0000 or alice@example.com. " * 6


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--count", type=int, default=300, help="measured requests per endpoint")
    p.add_argument("--warmup", type=int, default=20, help="requests per endpoint before measuring")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--workers", type=int, default=1, help="collector worker processes")
    return p.parse_args()


def frames() -> list[dict[str, Any]]:
    return [
        {"filename": "main.py", "abs_path": "/home/alice/project/main.py", "function": "main", "module": "__main__",
         "lineno": 40, "in_app": True, "context_line": "    run(order)", "pre_context": ["a", "b", "c", "d", "e"],
         "post_context": ["f", "g"], "vars": {"order": "'widgets:many'"}},
        {"filename": "app.py", "abs_path": "/home/alice/project/app.py", "function": "checkout", "module": "app",
         "lineno": 13, "in_app": True, "context_line": "    return parse_order(order_text, customer_email)",
         "vars": {"customer_email": "'alice@example.com'", "card_last4": "'4242'"}},
        {"filename": "app.py", "abs_path": "/home/alice/project/app.py", "function": "parse_order", "module": "app",
         "lineno": 6, "in_app": True, "context_line": "    quantity = int(order_text.split(':')[1])",
         "vars": {"api_token": "'tok_live_abcdef1234567890'"}},
    ]


def envelope(i: int) -> bytes:
    event_id = uuid.uuid4().hex
    event = {
        "event_id": event_id, "timestamp": time.time(), "level": "error", "platform": "python",
        "release": "myapp@1.0.0", "environment": "production", "server_name": "example-host",
        "sdk": {"name": "sentry.python", "version": "2.75.0"},
        "user": {"id": f"user-{i}-{uuid.uuid4().hex[:6]}", "email": "alice@example.com", "username": "alice"},
        "tags": {"plan": "pro"}, "extra": {"support_ticket_body": TEXT, "sys.argv": ["/home/alice/project/main.py"]},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11.7", "build": "3.11.7 (main)"},
                     "trace": {"trace_id": uuid.uuid4().hex, "span_id": uuid.uuid4().hex[:16]}},
        "breadcrumbs": {"values": [{"category": "auth", "message": "user alice@example.com logged in",
                                    "data": {"ip": "203.0.113.7"}, "level": "info", "timestamp": time.time()}]},
        "modules": {f"package{n}": "1.0.0" for n in range(60)},
        "exception": {"values": [{"type": "ValueError", "value": "invalid literal for int() with base 10: 'many'",
                                  "mechanism": {"type": "generic", "handled": True},
                                  "stacktrace": {"frames": frames()}}]},
    }
    payload = json.dumps(event).encode()
    header = json.dumps({"event_id": event_id, "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    item = json.dumps({"type": "event", "content_type": "application/json", "length": len(payload)})
    return gzip.compress(b"\n".join([header.encode(), item.encode(), payload, b""]), compresslevel=9)


def native(i: int) -> aiohttp.FormData:
    report = {
        "crash_id": str(uuid.uuid4()), "install_id": str(uuid.uuid4()),
        "consent": {"crash_report": "granted"},
        "context": {"app": "myapp", "app_version": "1.0.0", "os": "linux"},
        "exception": {"type": "ValueError", "message": "invalid literal for int() with base 10: 'many'"},
        "threads": [{"crashed": True, "frames": [
            {"function": f["function"], "module": f["module"], "file": f["abs_path"], "line": f["lineno"],
             "in_app": True} for f in reversed(frames())]}],
        "breadcrumbs": ["auth"], "extra": {"runtime.name": "CPython", "note": TEXT[:400]},
    }
    form = aiohttp.FormData()
    form.add_field("report", json.dumps(report).encode(), filename="report.json", content_type="application/json")
    return form


async def _one(session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str],
               latencies: list[float], statuses: dict[int, int]) -> None:
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    latencies.append(time.perf_counter() - started)


async def run(url: str, bodies: list[Any], headers: dict[str, str], concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = list(reversed(bodies))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def worker() -> None:
            while queue:
                await _one(session, url, queue.pop(), headers, latencies, statuses)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(bodies), "per_s": round(len(bodies) / elapsed, 1), "statuses": statuses,
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1)}


async def bench(port: int, args: argparse.Namespace) -> None:
    base = f"http://{HOST}:{port}"
    sentry_url, native_url = f"{base}/api/1/envelope/", f"{base}/v1/crashes"
    sentry_headers = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7",
                      "Content-Type": "application/x-sentry-envelope", "Content-Encoding": "gzip"}
    for label, url, make, headers in (("sentry envelope", sentry_url, envelope, sentry_headers),
                                      ("native /v1/crashes", native_url, native, {})):
        await run(url, [make(i) for i in range(args.warmup)], headers, args.concurrency)
        bodies = [make(i) for i in range(args.count)]
        size = len(bodies[0]) if isinstance(bodies[0], bytes) else None
        result = await run(url, bodies, headers, args.concurrency)
        print(f"{label:<20} {result['requests']:>5} req  {result['per_s']:>7} req/s  p50 {result['p50_ms']:>6} ms  "
              f"p99 {result['p99_ms']:>6} ms  statuses {result['statuses']}"
              + (f"  body {size} B gzip" if size else ""), flush=True)


def main() -> None:
    args = parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sentry-bench-") as data_dir:
        env = {"CONSENTRY_DATA_DIR": data_dir, "CONSENTRY_HTTP_PORT": str(port), "CONSENTRY_HTTP_HOST": HOST,
               "CONSENTRY_HTTP_WORKERS": str(args.workers), "CONSENTRY_JOBS_SCHEDULE": "false",
               "CONSENTRY_INGEST_KEYS": json.dumps({KEY: {"app": "myapp", "scopes": ["crash_report"]}})}
        print(f"cores={os.cpu_count()} workers={args.workers} concurrency={args.concurrency} count={args.count} "
              f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        with server([CONSENTRY, "serve"], port, env, Path(data_dir) / "serve.log"):
            asyncio.run(bench(port, args))


if __name__ == "__main__":
    main()
