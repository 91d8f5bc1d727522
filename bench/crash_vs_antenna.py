"""Crash uploads, Consentry vs Mozilla's Antenna: the same client and the same Crashpad-style uploads, back to back.

Antenna runs from a local checkout (--antenna DIR or ANTENNA_DIR; see bench/README.md for its set-up) under its own
venv's gunicorn, saving crashes to a temporary directory (FSCrashStorage, accept-all throttler); Consentry runs as
`consentry serve` with embedded chDB and the local object store on a fresh data dir. Nothing is fetched at run
time; every target is on 127.0.0.1 and every run stops by itself.

Each upload is a multipart/form-data body as Crashpad sends it: string annotations (prod, ver, guid, platform,
process_type, channel, ...) and `upload_file_minidump`, a ~300 KiB minidump of a real shape (header, directory,
SystemInfo, Exception, ThreadList, ModuleList with module names and CodeView records, and a MemoryList of stack
memory), different for every upload (so neither server can dedup). Printed per server: uploads/s, p50/p99 ms and
CPU per upload by process (from /proc), then the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import shutil
import socket
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path

import profile_serve  # bench/profile_serve.py
import rawhttp  # bench/rawhttp.py: this folder is on sys.path when run as a script

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
CONSENTRY = str(Path(PYTHON).with_name("consentry"))
HOST = rawhttp.HOST
BOUNDARY = "---------------------------crashpad-bench-7d8f2c1e9a"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--antenna", type=Path, default=os.environ.get("ANTENNA_DIR"),
                   help="Antenna checkout with its venv in .venv (default: $ANTENNA_DIR)")
    p.add_argument("--uploads", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--warmup", type=int, default=40, help="uploads sent to each server before measuring")
    p.add_argument("--dump-kib", type=int, default=300)
    p.add_argument("--antenna-workers", type=int, default=5, help="gunicorn sync workers")
    p.add_argument("--runs", type=int, default=1, help="pairs to run, each on fresh servers")
    p.add_argument("--only", choices=("antenna", "consentry"), help="run one side only (e.g. while profiling)")
    p.add_argument("--source", type=Path, default=ROOT,
                   help="Consentry source tree to run (first on PYTHONPATH), e.g. a `git archive` of another commit")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra Consentry environment")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="profile Consentry's workers (cProfile, every thread; bench/profile_serve.py) into DIR and "
                        "print the merged figures (roughly doubles the workers' CPU: read the shares)")
    p.add_argument("--hold", type=float, default=0.0,
                   help="seconds to keep sending after the measured uploads, e.g. to attach a profiler (not timed)")
    return p.parse_args()


# -- the uploads -----------------------------------------------------------------------------------------------

def _fixtures() -> object:
    path = ROOT / "tests" / "fixtures" / "minidumps" / "make.py"
    spec = importlib.util.spec_from_file_location("minidump_make", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["minidump_make"] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


MEMORY_LIST = 5
MEMORY_DESCRIPTOR = struct.Struct("<QII")  # StartOfMemoryRange, Location.DataSize, Location.Rva


USERS = ("Alice Johnson", "bob", "Chen Wei", "dmitri.k", "Emma", "fatima", "George Smith", "hana")


def _base_dump(rng: random.Random, size: int, user: str) -> bytes:
    """A Windows x64 Crashpad-shaped dump: 120 modules (the app's under the user's profile, as per-user installs
    put them), 24 threads, and a MemoryList of stack memory up to `size`."""
    make = _fixtures()
    app = rf"C:\Users\{user}\AppData\Local\Programs\example-app"
    modules = [make.Module(rf"{app}\Example App.exe", 0x7FF6_1230_0000, 0x2A0_0000, 0x65A1B2C3, (28, 2, 1, 0),
                           ("rsds", (0x3249D99D, 0x0F40, 0x8319, bytes.fromhex("4B4BB7D6E7B1D0E3")), 1))]
    for i in range(119):
        name = rf"C:\Windows\System32\module{i:03d}.dll" if i % 3 else rf"{app}\lib{i:03d}.dll"
        guid = (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.randbytes(8))
        modules.append(make.Module(name, 0x7FFA_0000_0000 + i * 0x100_0000, 0x8_0000 + i * 0x1000,
                                   0x4A000000 + i, (10, 0, 22621, i), ("rsds", guid, 1)))
    threads = list(range(4000, 4024))
    dump = make.Dump(platform_id=2, arch=9, os_version=(10, 0, 22631), exception=(0xC0000005, 0x7FF6_1234_5678, 4000),
                     thread_ids=threads, modules=modules)
    base = bytearray(make.build_minidump(dump))
    # Append a MemoryList (stack memory of each thread) and a new directory holding the old entries plus it.
    _sig, _ver, n_streams, dir_rva, *_ = make.HEADER.unpack_from(base, 0)
    entries = [make.DIRECTORY_ENTRY.unpack_from(base, dir_rva + i * 12) for i in range(n_streams)]
    region = max(4096, (size - len(base)) // len(threads) // 16 * 16)
    descriptors, blobs_at = [], len(base) + 4 + len(threads) * MEMORY_DESCRIPTOR.size
    for i in range(len(threads)):
        descriptors.append(MEMORY_DESCRIPTOR.pack(0x0000_00A0_0000_0000 + i * 0x10_0000, region, blobs_at + i * region))
    listing = struct.pack("<I", len(threads)) + b"".join(descriptors)
    list_rva = len(base)
    base += listing + rng.randbytes(region * len(threads))
    entries.append((MEMORY_LIST, len(listing), list_rva))
    new_dir = len(base)
    for entry in entries:
        base += make.DIRECTORY_ENTRY.pack(*entry)
    make.HEADER.pack_into(base, 0, 0x504D444D, 0xA793, len(entries), new_dir, 0, 1700000000, 0)
    return bytes(base)


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    head += "Content-Type: application/octet-stream\r\n" if filename else ""
    return head.encode() + b"\r\n" + value + b"\r\n"


def build_uploads(count: int, dump_kib: int, seed: int) -> list[bytes]:
    """`count` request bodies; each dump differs (a counter in the exception record and in stack memory)."""
    rng = random.Random(seed)
    bases = [bytearray(_base_dump(rng, dump_kib * 1024, user)) for user in USERS]
    installs = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(200)]
    exc_at = bases[0].index(struct.pack("<II", 4000, 0))  # ThreadId, alignment of the exception stream
    bodies = []
    for n in range(count):
        install = rng.randrange(len(installs))
        base = bases[install % len(bases)]
        struct.pack_into("<I", base, exc_at + 8 + 16, n)  # ExceptionRecord's low word: unique per upload
        struct.pack_into("<Q", base, len(base) - 4096, rng.getrandbits(64))  # and a word of stack memory
        platform = rng.choice(("win32", "win32", "darwin", "linux"))
        notes = {
            "prod": "Example App", "ver": rng.choice(("28.2.1", "28.2.0", "27.9.4")), "guid": installs[install],
            "platform": platform, "plat": platform, "process_type": rng.choice(("browser", "renderer", "gpu-process")),
            "ptype": rng.choice(("browser", "renderer")), "channel": rng.choice(("stable", "beta")),
            "_productName": "Example App", "_version": "28.2.1", "_companyName": "Example Corp",
            "pid": str(rng.randrange(1000, 60000)), "lsb-release": "", "consent_crash_report": "granted",
        }
        parts = [_part(key, value.encode()) for key, value in notes.items()]
        parts.append(_part("upload_file_minidump", bytes(base), "upload_file_minidump"))
        bodies.append(b"".join(parts) + f"--{BOUNDARY}--\r\n".encode())
    return bodies


def _request(path: str, port: int, body: bytes) -> bytes:
    headers = {"User-Agent": "Crashpad/0.8.0", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return rawhttp.request_bytes("POST", path, f"{HOST}:{port}", headers, body)


# -- the client (bench/rawhttp.py) -----------------------------------------------------------------------------

def send(path: str, port: int, bodies: list[bytes], concurrency: int, seconds: float = 600,
         cycle: bool = False) -> tuple[rawhttp.Tally, float]:
    """Every body once (or, cycling, round and round for `seconds`) over `concurrency` keep-alive connections."""
    requests = [_request(path, port, body) for body in bodies]
    tally, taken = rawhttp.Tally(ok=200), [0]
    deadline = time.perf_counter() + seconds

    def take() -> tuple[bytes, float] | None:
        if (not cycle and taken[0] >= len(requests)) or time.perf_counter() >= deadline:
            return None
        taken[0] += 1
        return requests[(taken[0] - 1) % len(requests)], 0.0

    return tally, asyncio.run(rawhttp.drive(port, concurrency, take, tally))


def pct(values: list[float], q: float) -> float:
    return rawhttp.percentile_ms(values, q)


def _system_cpu(roles: dict[str, list[int]]) -> dict[str, float]:
    """The kernel's share of each role's CPU (system time, /proc stime): syscalls, page faults, fsync."""
    def stime(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return int(fields[12]) / os.sysconf("SC_CLK_TCK")

    return {role: sum(stime(pid) for pid in pids) for role, pids in roles.items()}


def measure(label: str, path: str, port: int, roles: dict[str, list[int]], warmup: list[bytes], bodies: list[bytes],
            args: argparse.Namespace, ok: int) -> dict[str, object]:
    send(path, port, warmup, args.concurrency)
    before, sys_before = rawhttp.cpu_by_role(roles), _system_cpu(roles)
    client_before = time.process_time()
    stats, elapsed = send(path, port, bodies, args.concurrency)
    client = time.process_time() - client_before
    after, sys_after = rawhttp.cpu_by_role(roles), _system_cpu(roles)
    if args.hold:
        send(path, port, warmup, args.concurrency, seconds=args.hold, cycle=True)
    done = stats.statuses[ok]
    cpu = {role: (after[role] - before[role]) / max(done, 1) * 1000 for role in roles}
    cpu["client"] = client / max(done, 1) * 1000
    errors = sum(stats.statuses.values()) - done + sum(stats.failures.values())
    result = {"server": label, "uploads": done, "errors": errors,
              "uploads_s": done / elapsed, "p50_ms": pct(stats.latencies, 0.50), "p99_ms": pct(stats.latencies, 0.99),
              "cpu_ms_per_upload": cpu, "statuses": dict(stats.statuses), "failures": dict(stats.failures)}
    kernel = {role: (sys_after[role] - sys_before[role]) / max(done, 1) * 1000 for role in roles}
    result["kernel_ms_per_upload"] = kernel
    cpu_text = "  ".join(f"{k} {v:.2f}" + (f" (kernel {kernel[k]:.2f})" if kernel.get(k) else "")
                         for k, v in cpu.items())
    print(f"{label:<10} {done} uploads in {elapsed:.2f} s: {result['uploads_s']:.1f} uploads/s, "
          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; CPU ms/upload: {cpu_text} "
          f"(total {sum(cpu.values()):.2f})" + (f"; NOT OK: {stats.statuses} {stats.failures}"
                                                  if result["errors"] else ""), flush=True)
    return result


def run_antenna(args: argparse.Namespace, warmup: list[bytes], bodies: list[bytes]) -> dict[str, object]:
    checkout = Path(args.antenna).resolve()
    gunicorn = checkout / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists():
        raise SystemExit(f"no {gunicorn}: set Antenna up as bench/README.md says, then pass --antenna DIR")
    port = rawhttp.free_port()
    with tempfile.TemporaryDirectory(prefix="antenna-bench-") as tmp, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as statsd:
        statsd.bind((HOST, 0))  # a sink for Antenna's statsd packets (never read; the kernel drops the overflow)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp,
               "CRASHMOVER_CRASHSTORAGE_CLASS": "antenna.ext.fs.crashstorage.FSCrashStorage",
               "CRASHMOVER_CRASHSTORAGE_FS_ROOT": str(Path(tmp) / "crashes"),
               "BREAKPAD_THROTTLER_RULES": "antenna.throttler.ACCEPT_ALL",
               "BREAKPAD_THROTTLER_PRODUCTS": "antenna.throttler.ALL_PRODUCTS",
               "STATSD_HOST": HOST, "STATSD_PORT": str(statsd.getsockname()[1]),
               "LOGGING_LEVEL": "WARNING", "SECRET_SENTRY_DSN": "", "HOSTNAME": "bench"}
        cmd = [str(gunicorn), f"--workers={args.antenna_workers}", "--worker-class=sync", f"--bind={HOST}:{port}",
               "--log-level=warning", "antenna.wsgi:application"]
        log = Path(tmp) / "antenna.log"
        with rawhttp.running(cmd, env, checkout, f"http://{HOST}:{port}/__lbheartbeat__", log) as proc:
            roles = {"master": [proc.pid], "workers": rawhttp.children(proc.pid)}
            result = measure("antenna", "/submit", port, roles, warmup, bodies, args, 200)
        saved = sum(1 for _ in (Path(tmp) / "crashes").glob("*/upload_file_minidump/*"))
        print(f"{'':<10} saved {saved} minidumps", flush=True)
    return result


def run_consentry(args: argparse.Namespace, warmup: list[bytes], bodies: list[bytes]) -> dict[str, object]:
    port = rawhttp.free_port()
    data = tempfile.mkdtemp(prefix="consentry-crash-bench-")
    env = rawhttp.collector_env(data, port, args.source, args.env)
    log = Path(data) / "serve.log"
    cmd = [CONSENTRY, "serve"]
    if args.profile:
        cmd = [PYTHON, str(BENCH / "profile_serve.py"), str(args.profile.resolve()), "serve"]
    try:
        with rawhttp.running(cmd, env, args.source, f"http://{HOST}:{port}/healthz", log) as proc:
            roles = rawhttp.collector_roles(proc.pid)
            result = measure("consentry", "/v1/crashes", port, roles, warmup, bodies, args, 200)
        dumps = sum(1 for _ in Path(data).rglob("minidump.dmp~data"))
        print(f"{'':<10} stored {dumps} minidumps", flush=True)
        if args.profile:
            print(profile_serve.summary(args.profile.resolve()), flush=True)
        return result
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> int:
    args = parse_args()
    if args.only != "consentry" and not args.antenna:
        raise SystemExit("give the Antenna checkout: --antenna DIR or ANTENNA_DIR (see bench/README.md)")
    started = time.perf_counter()
    warmup = build_uploads(args.warmup, args.dump_kib, seed=1)
    bodies = build_uploads(args.uploads, args.dump_kib, seed=2)
    print(f"{len(bodies)} uploads of {len(bodies[0]) / 1024:.0f} KiB, {args.concurrency} in flight, "
          f"{args.warmup} warm-up uploads each; cores={os.cpu_count()}, load average {os.getloadavg()[0]:.2f} "
          f"(built in {time.perf_counter() - started:.1f} s)", flush=True)
    rows = []
    for run in range(1, args.runs + 1):
        antenna = run_antenna(args, warmup, bodies) if args.only != "consentry" else None
        consentry = run_consentry(args, warmup, bodies) if args.only != "antenna" else None
        if antenna and consentry:
            ratio = float(consentry["uploads_s"]) / float(antenna["uploads_s"])  # type: ignore[arg-type]
            rows.append((run, antenna, consentry, ratio))
            print(f"run {run}: ratio Consentry / Antenna = {ratio:.2f}", flush=True)
    if rows:
        print("\n| run | Antenna uploads/s | Antenna p99 ms | Consentry uploads/s | Consentry p99 ms | ratio |")
        print("| --- | --- | --- | --- | --- | --- |")
        for run, a, c, ratio in rows:
            print(f"| {run} | {a['uploads_s']:.0f} | {a['p99_ms']:.0f} | {c['uploads_s']:.0f} | {c['p99_ms']:.0f} "
                  f"| {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
