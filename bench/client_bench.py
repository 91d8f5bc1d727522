"""The Python client's cost in the app: `track()` per call (µs) and memory with 100,000 events queued.

No collector is needed: the endpoint is a closed loopback port, so every event stays queued (the sender's
attempts fail at once and back off). Prints one line per figure; `--json` prints one JSON line.

    .venv/bin/python bench/client_bench.py [--events 100000] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

from consentry_client import Client


def rss_mib() -> float:
    """Resident memory now (Linux /proc), else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def closed_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def per_call_us(client: Client, n: int, burst: int = 5_000) -> tuple[float, float]:
    """(µs per track() call at the call site, µs per event moving it to the disk queue). Calls come in bursts
    well under a second, each followed by the move the sender thread would do, so the two are timed apart."""
    track, in_track, in_persist = client.track, 0.0, 0.0
    for start in range(0, n, burst):
        started = time.perf_counter()
        for i in range(start, min(n, start + burst)):
            track("editor.opened", mode="split", duration_ms=i, ok=True)
        in_track += time.perf_counter() - started
        started = time.perf_counter()
        client._persist()  # ids, timestamps, JSON, one SQLite transaction
        in_persist += time.perf_counter() - started
    return in_track / n * 1e6, in_persist / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as private_dir, \
            tempfile.TemporaryDirectory(prefix="cc-bench-") as data_dir:
        private = Client(closed_endpoint(), app="bench", app_version="1", data_dir=private_dir, capture_crashes=False)
        results["track_private_us"], _ = per_call_us(private, args.events)  # validation only: nothing is kept
        private.shutdown(0)

        client = Client(closed_endpoint(), app="bench", app_version="1", data_dir=data_dir, capture_crashes=False,
                        flush_interval=3600, batch_size=1000, max_queued_events=args.events + 1000)
        client.set_consent("telemetry")
        gc.collect()
        before = rss_mib()
        results["track_us"], results["persist_us_per_event"] = per_call_us(client, args.events)
        gc.collect()
        results["queued"] = client.queued
        results["rss_queued_mib"] = rss_mib() - before
        database = Path(data_dir) / "consentry" / "client.sqlite3"
        results["disk_mib"] = sum(os.path.getsize(p) for p in database.parent.glob("client.sqlite3*")) / 2**20
        started = time.perf_counter()
        client.shutdown(0.5)
        results["shutdown_s"] = time.perf_counter() - started
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in results.items()}))
    else:
        print(f"track(), private (validation only): {results['track_private_us']:.2f} µs/call")
        print(f"track(), telemetry:                 {results['track_us']:.2f} µs/call")
        print(f"to the disk queue (sender thread):  {results['persist_us_per_event']:.2f} µs/event")
        print(f"{int(results['queued']):,} events queued: RSS +{results['rss_queued_mib']:.1f} MiB, "
              f"{results['disk_mib']:.1f} MiB on disk")
        print(f"shutdown(0.5) took {results['shutdown_s']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
