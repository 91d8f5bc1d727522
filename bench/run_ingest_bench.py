"""Ingestion benchmark driver: collector (per linger setting) vs the ceiling server at several concurrencies."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import rawhttp  # bench/rawhttp.py: this folder is on sys.path when run as a script

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
CONSENTRY = str(Path(PYTHON).with_name("consentry"))
HOST = rawhttp.HOST
_METRIC = re.compile(r"^(consentry_insert_(?:rows|seconds)_(?:sum|count)|consentry_events_accepted_total) "
                     r"([0-9.e+-]+)$", re.M)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--batches", type=int, default=400, help="requests per concurrency level")
    p.add_argument("--warmup", type=int, default=40, help="requests sent before measuring, per server")
    p.add_argument("--events-per-batch", type=int, default=100)
    p.add_argument("--encoding", default="json", choices=("json", "msgpack", "gzip", "zstd"))
    p.add_argument("--linger-ms", type=int, nargs="*", default=[],
                   help="CONSENTRY_INSERT_LINGER_MS values, one collector run each: only for collectors before the "
                        "spool (commit 7c753c1, run with --source); default: leave it unset")
    p.add_argument("--source", type=Path, default=ROOT,
                   help="collector source tree to run (put first on PYTHONPATH), e.g. a `git archive` snapshot")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra collector environment")
    p.add_argument("--no-ceiling", action="store_true", help="skip the ceiling server")
    p.add_argument("--client", choices=("aiohttp", "raw"), default="aiohttp", help="load.py's HTTP client")
    return p.parse_args()


@contextmanager
def server(cmd: list[str], port: int, env: dict[str, str], log: Path,
           cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    with rawhttp.running(cmd, os.environ | env, cwd, f"http://{HOST}:{port}/healthz", log) as proc:
        yield proc


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {name: float(value) for name, value in _METRIC.findall(text)}


def load_cmd(port: int, concurrency: int, batches: int, args: argparse.Namespace) -> list[str]:
    return [PYTHON, str(BENCH / "load.py"), "--url", f"http://{HOST}:{port}", "--concurrency", str(concurrency),
            "--batches", str(batches), "--events-per-batch", str(args.events_per_batch),
            "--encoding", args.encoding, "--seed", str(concurrency), "--client", args.client, "--json"]


def _summary(stdout: str, stderr: str) -> dict[str, object]:
    if not stdout.strip():
        raise SystemExit(f"load.py failed: {stderr}")
    return dict(msgspec.json.decode(stdout.strip().splitlines()[-1]))


def run_load(port: int, concurrency: int, batches: int, args: argparse.Namespace) -> dict[str, object]:
    done = subprocess.run(load_cmd(port, concurrency, batches, args), capture_output=True, text=True, timeout=300,
                          check=False)
    return _summary(done.stdout, done.stderr)


class Sample(msgspec.Struct):
    t: float
    accepted: float
    inserted: float
    cpu: dict[str, float]


def _sample(port: int, pids: dict[str, list[int]]) -> Sample:
    values = scrape(port)
    return Sample(time.perf_counter(), values.get("consentry_events_accepted_total", 0.0),
                  values.get("consentry_insert_rows_sum", 0.0),
                  rawhttp.cpu_by_role(pids))


def measured_run(port: int, server_pid: int, concurrency: int, args: argparse.Namespace) -> dict[str, object]:
    """One load run against the collector, watched through /metrics every 50 ms: the end-to-end rate is the
    acknowledged events over the time from the first acknowledgement until the writer has inserted them all
    (no CLI start-up in the figure), and each role's CPU per event says where the time went."""
    pids = rawhttp.collector_roles(server_pid)
    first = _sample(port, pids)
    load = subprocess.Popen(load_cmd(port, concurrency, args.batches, args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    samples = [first]
    while load.poll() is None:
        time.sleep(0.05)
        samples.append(_sample(port, pids))
    out, err = load.communicate()
    result = _summary(out, err)
    accepted = int(result["accepted"])  # type: ignore[call-overload]
    deadline = time.monotonic() + 300
    while samples[-1].inserted - first.inserted < accepted and time.monotonic() < deadline:
        time.sleep(0.05)
        samples.append(_sample(port, pids))
    started = next(s for s in samples if s.accepted > first.accepted)
    stored = samples[-1]
    span = stored.t - started.t + 0.05  # the first acknowledgement came up to one interval before it was seen
    result["stored_per_s"] = round(accepted / span, 1)
    result["drain_s"] = round(stored.t - max(s.t for s in samples if s.accepted < first.accepted + accepted), 2)
    idle = samples[samples.index(started) - 1]  # the last sample before the load began (bodies are pre-built)
    cpu = {role: stored.cpu[role] - idle.cpu[role] for role in ("workers", "writer", "supervisor")}
    cpu["client"] = float(result["cpu_seconds"])  # type: ignore[arg-type]  # while sending only
    result["cpu_us_per_event"] = {role: round(seconds / accepted * 1e6, 2) for role, seconds in cpu.items()}
    return result


def bench_server(label: str, port: int, args: argparse.Namespace, server_pid: int | None = None
                 ) -> list[dict[str, object]]:
    """Warm up, then one load run per concurrency; for the collector (server_pid given), measured_run."""
    run_load(port, 8, args.warmup, args)
    rows = []
    for c in args.concurrency:
        before = scrape(port) if server_pid else {}
        if server_pid:
            result = measured_run(port, server_pid, c, args) | {"server": label}
            result |= _insert_delta(before, scrape(port))
        else:
            result = run_load(port, c, args.batches, args) | {"server": label}
        print(f"  {label} c={c}: {result['events_per_s']} ev/s, p50 {result['p50_ms']} ms, "
              f"p99 {result['p99_ms']} ms, errors {result['errors'] or 'none'}"
              + (f", CPU us/event {result['cpu_us_per_event']}" if server_pid else ""), flush=True)
        rows.append(result)
    return rows


def _insert_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, object]:
    def d(k: str) -> float:
        return after.get(k, 0.0) - before.get(k, 0.0)

    inserts = d("consentry_insert_rows_count")
    if not inserts:
        return {"inserts": 0, "rows_per_insert": None, "insert_ms": None}
    return {"inserts": int(inserts), "rows_per_insert": round(d("consentry_insert_rows_sum") / inserts, 1),
            "insert_ms": round(1000 * d("consentry_insert_seconds_sum") / inserts, 1)}


def collector_env(port: int, data_dir: str, linger_ms: int | None, args: argparse.Namespace) -> dict[str, str]:
    # One loopback client would trip the per-client and per-install rate limits: off for the benchmark.
    env = {"CONSENTRY_DATA_DIR": data_dir, "CONSENTRY_HTTP_PORT": str(port),
           "PYTHONPATH": str(args.source.resolve()), "CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS": "0",
           "CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS": "0"}
    if linger_ms is not None:
        env["CONSENTRY_INSERT_LINGER_MS"] = str(linger_ms)
    return env | dict(item.split("=", 1) for item in args.env)


def bench_collector(linger_ms: int | None, args: argparse.Namespace) -> list[dict[str, object]]:
    port, data_dir = rawhttp.free_port(), tempfile.mkdtemp(prefix="consentry-bench-")
    env = collector_env(port, data_dir, linger_ms, args)
    log = Path(data_dir) / "serve.log"
    label = "consentry" if linger_ms is None else f"consentry linger={linger_ms}"
    try:
        with server([CONSENTRY, "serve"], port, env, log, cwd=args.source) as proc:
            rows = bench_server(label, port, args, server_pid=proc.pid)
        _report_log(log)
        return rows
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def bench_ceiling(args: argparse.Namespace) -> list[dict[str, object]]:
    port = rawhttp.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [PYTHON, str(BENCH / "ceiling_server.py"), "--port", str(port)]
        with server(cmd, port, {}, Path(tmp) / "ceiling.log"):
            return bench_server("ceiling", port, args)


def _report_log(log: Path) -> None:
    bad = [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line or "Traceback" in line]
    if bad:
        print(f"  server log had {len(bad)} error line(s), first: {bad[0][:200]}")


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(rows: list[dict[str, object]]) -> None:
    head = f"{'server':<22}{'conc':>5}{'req':>6}{'acked/s':>10}{'stored/s':>10}{'drain s':>8}{'p50 ms':>9}" \
           f"{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'rows/ins':>9}{'ins ms':>8}  errors"
    print(head)
    for r in rows:
        print(f"{r['server']!s:<22}{r['concurrency']!s:>5}{r['requests']!s:>6}{r['events_per_s']!s:>10}"
              f"{r.get('stored_per_s', '-')!s:>10}{r.get('drain_s', '-')!s:>8}"
              f"{r['p50_ms']!s:>9}{r['p90_ms']!s:>9}{r['p99_ms']!s:>9}{r['max_ms']!s:>9}"
              f"{r.get('rows_per_insert', '-')!s:>9}{r.get('insert_ms', '-')!s:>8}  {r['errors'] or '-'}")
    cpu_rows = [r for r in rows if "cpu_us_per_event" in r]
    if cpu_rows:
        print("\nCPU microseconds per acknowledged event, by process (/proc; collector: first ack to last insert, "
              "client: while sending):")
        for r in cpu_rows:
            cpu: dict[str, float] = r["cpu_us_per_event"]  # type: ignore[assignment]
            print(f"{r['server']!s:<22}{r['concurrency']!s:>5}  " + "  ".join(f"{k} {v}" for k, v in cpu.items())
                  + f"  total {round(sum(cpu.values()), 2)}")


def main() -> int:
    args = parse_args()
    print(f"encoding={args.encoding} events/batch={args.events_per_batch} batches/level={args.batches} "
          f"cores={os.cpu_count()} (client and server share them) load average before: {_loadavg()}", flush=True)
    rows: list[dict[str, object]] = []
    for linger in args.linger_ms or [None]:
        rows += bench_collector(linger, args)
    if not args.no_ceiling:
        rows += bench_ceiling(args)
    print()
    print_table(rows)
    print(f"load average after: {_loadavg()} (anything else running on the 2 cores skews every figure)")
    return 0 if all(not r["errors"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
