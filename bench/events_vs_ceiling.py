"""Events, Consentry vs the bare-decode ceiling: the same bodies and the same client, back to back, in one run.

    .venv/bin/python bench/events_vs_ceiling.py --runs 3          # ~1 min per run on 2 cores

Per run: (1) `ceiling_server.py` (one aiohttp process that only decodes), then (2) `consentry serve --workers 2`
(two workers and the writer, embedded chDB, fresh data dir), each saturated for `--seconds` by 32 keep-alive
connections (bench/rawhttp.py) rotating the same `--bodies` pre-built 100-event JSON bodies (load.py's events,
`--installs` installs, `--personal` of the events carrying a home-directory path or an e-mail address). Each time
a body comes round again its event ids get a fresh prefix, so the collector never sees a duplicate. Then (3) the
collector again, paced at half the acked rate it just reached, for the p99 at half load.

Printed per phase: events/s, p50/p99 ms, and CPU per acked event by process from /proc (the collector's from the
start of the load until the writer has inserted every acknowledged event, so the writer's share is in it; the
client's while sending). Then the ratio. The machine's load average is printed before and after each run: other
work on the cores skews both halves, less so their ratio. Loopback only; every server is stopped at the end."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import rawhttp
from load import build_bodies

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
CONSENTRY = str(Path(PYTHON).with_name("consentry"))
HOST = rawhttp.HOST
_ID = re.compile(rb'"event_id":"[0-9a-f]{8}')
_MARK = b'"event_id":"@@@@@@@@'
_INSERTED = re.compile(r"^consentry_insert_rows_sum ([0-9.e+-]+)$", re.M)
_INSERTS = re.compile(r"^consentry_insert_rows_count ([0-9.e+-]+)$", re.M)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--seconds", type=float, default=20.0, help="saturated phase length, per server")
    p.add_argument("--half-seconds", type=float, default=10.0, help="paced phase at half the acked rate (0: none)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--bodies", type=int, default=2000)
    p.add_argument("--events-per-batch", type=int, default=100)
    p.add_argument("--installs", type=int, default=500)
    p.add_argument("--personal", type=float, default=0.03, help="share of events carrying a path or an e-mail")
    p.add_argument("--warmup", type=int, default=200, help="requests sent to each server before measuring")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--source", type=Path, default=ROOT,
                   help="collector source tree (first on PYTHONPATH), e.g. a `git archive` of another commit")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra collector environment")
    p.add_argument("--only", choices=("ceiling", "consentry"), help="one side only (e.g. while profiling)")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="profile the collector's writer and workers during the saturated phase (bench/profiling/): "
                        "one file per process in DIR, the top functions printed")
    p.add_argument("--profile-kind", choices=("sample", "cprofile"), default="sample",
                   help="sample: the event loop's stack every ms (real proportions); cprofile: every call")
    return p.parse_args()


class Rotation:
    """Requests taken in turn from the pre-built bodies; each pass round them stamps fresh event-id prefixes."""

    def __init__(self, templates: list[bytes], salt: int) -> None:
        self._templates = templates
        self._salt = salt
        self.taken = 0

    def next(self) -> bytes:
        index = self.taken
        self.taken += 1
        template = self._templates[index % len(self._templates)]
        prefix = (self._salt * 0x9E3779B1 + index // len(self._templates)) & 0xFFFFFFFF
        return template.replace(_MARK, b'"event_id":"%08x' % prefix)


def templates(args: argparse.Namespace, port_host: str) -> list[bytes]:
    bodies = build_bodies(args.bodies, args.concurrency, args.events_per_batch, "json", seed=17,
                          installs=args.installs, personal_share=args.personal)
    return [rawhttp.request_bytes("POST", "/v1/events", port_host, b.headers, _ID.sub(_MARK, b.data))
            for b in bodies]


def load(port: int, rotation: Rotation, concurrency: int, *, seconds: float = 0.0, count: int = 0,
         rate: float = 0.0) -> tuple[rawhttp.Tally, float, float]:
    """Send for `seconds` (or `count` requests); paced at `rate` requests/s when given. Returns the tally, the
    wall time and the client's CPU seconds."""
    tally = rawhttp.Tally(ok=202, count_accepted=True)
    sent = [0]
    start = time.perf_counter()
    deadline = start + seconds if seconds else float("inf")

    def take() -> tuple[bytes, float] | None:
        due = start + sent[0] / rate if rate else 0.0
        if (count and sent[0] >= count) or max(due, time.perf_counter()) >= deadline:
            return None
        sent[0] += 1
        return rotation.next(), due

    cpu = time.process_time()
    elapsed = asyncio.run(rawhttp.drive(port, concurrency, take, tally))
    return tally, elapsed, time.process_time() - cpu


def inserted(port: int) -> float:
    return insert_counts(port)[0]


def insert_counts(port: int) -> tuple[float, float]:
    """Rows the writer has inserted in all, and in how many inserts."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return tuple(float(m.group(1)) if (m := regex.search(text)) else 0.0  # type: ignore[return-value]
                 for regex in (_INSERTED, _INSERTS))


def wait_inserted(port: int, target: float, limit_s: float = 300.0) -> float:
    """Poll /metrics until the writer has inserted `target` rows in all; return when it got there."""
    deadline = time.monotonic() + limit_s
    while inserted(port) < target and time.monotonic() < deadline:
        time.sleep(0.05)
    return time.perf_counter()


def _signal(roles: dict[str, list[int]], signum: int) -> None:
    for role in ("writer", "workers"):
        for pid in roles.get(role, []):
            os.kill(pid, signum)


def phase(label: str, port: int, roles: dict[str, list[int]], rotation: Rotation, args: argparse.Namespace, *,
          seconds: float, rate: float = 0.0, drained: float | None = None,
          profile: bool = False) -> dict[str, object]:
    """One measured load. For the collector (`drained` = rows inserted before it), CPU counts until the writer
    has inserted every event acknowledged in it. `profile`: the collector's processes profile this phase."""
    if profile:
        _signal(roles, signal.SIGUSR1)
    before = rawhttp.cpu_by_role(roles)
    inserts_before = insert_counts(port)[1] if drained is not None else 0.0
    tally, elapsed, client = load(port, rotation, args.concurrency, seconds=seconds, rate=rate)
    rows_per_insert = ""
    if drained is not None:
        wait_inserted(port, drained + tally.accepted)
        inserts = insert_counts(port)[1] - inserts_before
        rows_per_insert = f"  {tally.accepted / max(inserts, 1):,.0f} rows/insert"
    after = rawhttp.cpu_by_role(roles)
    if profile:
        _signal(roles, signal.SIGUSR2)
    events = max(tally.accepted, 1)
    cpu = {role: (after[role] - before[role]) / events * 1e6 for role in roles} | {"client": client / events * 1e6}
    result: dict[str, object] = {
        "label": label, "events_s": tally.accepted / elapsed, "requests": len(tally.latencies),
        "p50_ms": rawhttp.percentile_ms(tally.latencies, 0.50), "p99_ms": rawhttp.percentile_ms(tally.latencies, 0.99),
        "cpu_us": cpu, "errors": tally.errors, "accepted": tally.accepted}
    cpu_text = "  ".join(f"{k} {v:.2f}" for k, v in cpu.items())
    print(f"  {label:<22} {result['events_s']:>10,.0f} events/s  p50 {result['p50_ms']:6.1f} ms  "
          f"p99 {result['p99_ms']:6.1f} ms  CPU us/event: {cpu_text} (total {sum(cpu.values()):.2f})"
          + rows_per_insert + (f"  ERRORS {tally.errors}" if tally.errors else ""), flush=True)
    return result


def run_ceiling(args: argparse.Namespace, run: int) -> dict[str, object]:
    port = rawhttp.free_port()
    rotation = Rotation(templates(args, f"{HOST}:{port}"), salt=run)
    with tempfile.TemporaryDirectory(prefix="ceiling-") as tmp:
        cmd = [PYTHON, str(BENCH / "ceiling_server.py"), "--port", str(port)]
        with rawhttp.running(cmd, os.environ, ROOT, f"http://{HOST}:{port}/healthz", Path(tmp) / "log") as proc:
            load(port, rotation, args.concurrency, count=args.warmup)
            return phase("ceiling", port, {"ceiling": [proc.pid]}, rotation, args, seconds=args.seconds)


def run_consentry(args: argparse.Namespace, run: int) -> tuple[dict[str, object], dict[str, object] | None]:
    port = rawhttp.free_port()
    rotation = Rotation(templates(args, f"{HOST}:{port}"), salt=run)
    data = tempfile.mkdtemp(prefix="consentry-events-")
    env = rawhttp.collector_env(data, port, args.source, args.env)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        env |= {"BENCH_PROFILE_DIR": str(args.profile.resolve()), "BENCH_PROFILE_KIND": args.profile_kind,
                "PYTHONPATH": f"{BENCH / 'profiling'}{os.pathsep}{env['PYTHONPATH']}"}
    log = Path(data) / "serve.log"
    half = None
    try:
        cmd = [CONSENTRY, "serve", "--workers", str(args.workers)]
        with rawhttp.running(cmd, env, args.source, f"http://{HOST}:{port}/healthz", log) as proc:
            roles = rawhttp.collector_roles(proc.pid)
            warm, _, _ = load(port, rotation, args.concurrency, count=args.warmup)
            wait_inserted(port, warm.accepted)
            full = phase("consentry", port, roles, rotation, args, seconds=args.seconds, drained=inserted(port),
                         profile=bool(args.profile))
            if args.profile:
                time.sleep(1.0)  # the processes write their profiles
                _print_profiles(args.profile, roles)
            if args.half_seconds:
                rate = float(full["events_s"]) / 2 / args.events_per_batch  # type: ignore[arg-type]
                half = phase("consentry at half load", port, roles, rotation, args, seconds=args.half_seconds,
                             rate=rate, drained=inserted(port))
        bad = [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line or "Traceback" in line]
        if bad:
            print(f"  server log had {len(bad)} error line(s), first: {bad[0][:200]}")
        return full, half
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _print_profiles(folder: Path, roles: dict[str, list[int]]) -> None:
    for role in ("workers", "writer"):
        pids = roles.get(role, [])
        if files := [str(folder / f"{pid}.prof") for pid in pids if (folder / f"{pid}.prof").exists()]:
            print(f"--- profile: {role} ({len(files)} process(es)), by own time")
            pstats.Stats(*files, stream=sys.stdout).sort_stats("tottime").print_stats(25)
            print(f"--- profile: {role}, by cumulative time")
            pstats.Stats(*files, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
        if samples := [folder / f"{pid}.samples" for pid in pids if (folder / f"{pid}.samples").exists()]:
            _print_samples(role, samples)
        for pid in pids:
            if (folder / f"{pid}.gc").exists():
                print(f"  garbage collector in {pid} (CPU s, passes): {(folder / f'{pid}.gc').read_text()}")


def _print_samples(role: str, files: list[Path], top: int = 30) -> None:
    """Collapsed stacks -> the functions with the most samples, on the stack (inclusive) and at its top (own)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for file in files:
        for stack, count in json.loads(file.read_text()).items():
            frames = stack.split(";")
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    print(f"--- samples: {role} ({len(files)} process(es), {total} samples of the event loop thread)")
    for label, counter in (("inclusive", inclusive), ("own", own)):
        print(f"  {label}:")
        for frame, count in counter.most_common(top):
            print(f"    {count / max(total, 1):6.1%}  {frame}")


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _server_cpu(row: dict[str, object]) -> float:
    cpu: dict[str, float] = row["cpu_us"]  # type: ignore[assignment]
    return sum(v for role, v in cpu.items() if role != "client")


def _cpu_ratio(ceiling: dict[str, object], consentry: dict[str, object]) -> float:
    """The ceiling's server CPU per event over Consentry's (all its processes): what the events/s ratio would be
    on cores given to the server alone. Less moved by other load on the machine than the events/s ratio."""
    return _server_cpu(ceiling) / _server_cpu(consentry)


def _cpu(row: dict[str, object]) -> str:
    cpu: dict[str, float] = row["cpu_us"]  # type: ignore[assignment]
    return " / ".join(f"{v:.1f}" for v in cpu.values())


def main() -> int:
    args = parse_args()
    sample = templates(args, f"{HOST}:0")
    size = sum(len(t) for t in sample) / len(sample)
    print(f"{args.bodies} bodies of {args.events_per_batch} events (~{size / 1024:.1f} KiB, "
          f"{size / args.events_per_batch:.0f} B/event with the request head), {args.installs} installs, "
          f"{args.personal:.0%} of events with a path or e-mail; {args.concurrency} connections, {args.seconds:.0f} s "
          f"per phase; cores={os.cpu_count()}", flush=True)
    rows = []
    for run in range(1, args.runs + 1):
        print(f"run {run}: load average before {_loadavg()}", flush=True)
        ceiling = run_ceiling(args, run) if args.only != "consentry" else None
        full, half = run_consentry(args, run) if args.only != "ceiling" else (None, None)
        print(f"run {run}: load average after {_loadavg()}", flush=True)
        if ceiling and full:
            ratio = float(full["events_s"]) / float(ceiling["events_s"])  # type: ignore[arg-type]
            print(f"run {run}: ratio Consentry / ceiling = {ratio:.3f} (events/s); by server CPU per event "
                  f"{_cpu_ratio(ceiling, full):.3f}", flush=True)
            rows.append((run, ceiling, full, half, ratio))
    if rows:
        print("\n| run | ceiling events/s | Consentry acked events/s | ratio | CPU ratio | Consentry p99 ms "
              "| p99 ms at half load | CPU us/event ceiling / client "
              "| CPU us/event supervisor / writer / workers / client |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for run, ceiling, full, half, ratio in rows:
            half_p99 = f"{half['p99_ms']:.1f} ({half['events_s']:,.0f}/s)" if half else "-"
            print(f"| {run} | {ceiling['events_s']:,.0f} | {full['events_s']:,.0f} | {ratio:.3f} "
                  f"| {_cpu_ratio(ceiling, full):.3f} "
                  f"| {full['p99_ms']:.1f} | {half_p99} | {_cpu(ceiling)} | {_cpu(full)} |")
    failed = any(r["errors"] for _, c, f, h, _ in rows for r in (c, f, h) if r)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
