"""What the benchmark drivers share: a minimal keep-alive HTTP/1.1 client, server start/stop with a readiness
wait, and CPU time by process from /proc.

The client speaks just enough HTTP/1.1 for a benchmark: request bytes are built before timing, an answer is read
by its Content-Length. It costs about a tenth of aiohttp's client CPU per request, which on a shared 2-core
machine is CPU left to the server under test. Loopback only."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import msgspec

HOST = "127.0.0.1"
FAILURES = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)


# -- the client ------------------------------------------------------------------------------------------------

def request_bytes(method: str, path: str, host: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """One complete HTTP/1.1 request, ready to write."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


class KeepAlive:
    """One keep-alive connection, opened on first use and again after the server closed it or a failure."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request, return the status and the body. A failure closes the connection and propagates."""
        try:
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
            assert self._reader is not None
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            lines = head.lower().split(b"\r\n")
            length = next((int(line[15:]) for line in lines if line.startswith(b"content-length:")), 0)
            payload = await self._reader.readexactly(length)
        except FAILURES:
            self.close()
            raise
        if b"connection: close" in lines:
            self.close()
        return int(head[9:12]), payload

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Tally:
    """What the connections saw: statuses, failures by type, latencies (s) and, for answers that carry one,
    the events the server said it accepted."""

    def __init__(self, ok: int = 200, count_accepted: bool = False) -> None:
        self.ok = ok
        self.count_accepted = count_accepted
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.accepted = 0

    def answered(self, status: int, payload: bytes) -> None:
        self.statuses[status] += 1
        if status == self.ok and self.count_accepted:
            self.accepted += msgspec.json.decode(payload)["accepted"]

    @property
    def done(self) -> int:
        return self.statuses[self.ok]

    @property
    def errors(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(self.statuses.items()) if k != self.ok} | dict(self.failures)


# take() gives the next request and when it is due (perf_counter seconds; 0 = now), or None when done.
Take = Callable[[], tuple[bytes, float] | None]


async def _connection(port: int, take: Take, tally: Tally) -> None:
    conn = KeepAlive(HOST, port)
    while (item := take()) is not None:
        request, due = item
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        # Paced: latency counts from when the request was due, so a server that falls behind cannot hide the
        # queueing (no coordinated omission).
        started = due or time.perf_counter()
        try:
            status, payload = await conn.exchange(request)
        except FAILURES as exc:
            tally.failures[type(exc).__name__] += 1
        else:
            tally.answered(status, payload)
        tally.latencies.append(time.perf_counter() - started)
    conn.close()


async def drive(port: int, concurrency: int, take: Take, tally: Tally) -> float:
    """Run `concurrency` connections until take() runs dry; return the wall time (s)."""
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, take, tally) for _ in range(concurrency)))
    return time.perf_counter() - started


def percentile_ms(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


# -- servers and their CPU -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads), from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return sorted(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return []


def collector_roles(pid: int) -> dict[str, list[int]]:
    """`consentry serve`'s processes by role: the supervisor, the writer (its first child) and the workers."""
    kids = children(pid)
    return {"supervisor": [pid], "writer": kids[:1], "workers": kids[1:]}


def cpu_by_role(roles: Mapping[str, list[int]]) -> dict[str, float]:
    return {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in roles.items()}


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path | None = None, timeout: float = 90.0) -> None:
    """Poll `url` until it answers 200; stop early (with the log's tail) if the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise SystemExit(f"server exited with {proc.returncode} before {url} answered\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout}s")


@contextmanager
def running(cmd: list[str], env: Mapping[str, str], cwd: Path, ready: str, log: Path
            ) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server (its output to `log`) until the block ends, then SIGTERM it (SIGKILL after 30 s)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_ready(ready, proc, log)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def collector_env(data_dir: str, port: int, source: Path, extra: list[str]) -> dict[str, str]:
    """The environment of a benchmarked `consentry serve`: its own data dir and port, the source tree under test,
    and `extra` NAME=VALUE overrides (--env). One loopback client would trip the per-client and per-install rate
    limits: off for the benchmark."""
    env = os.environ | {"CONSENTRY_DATA_DIR": data_dir, "CONSENTRY_HTTP_PORT": str(port),
                        "PYTHONPATH": str(source.resolve()), "CONSENTRY_RATE_LIMIT_PER_INSTALL_RPS": "0",
                        "CONSENTRY_RATE_LIMIT_PER_CLIENT_RPS": "0"}
    return env | dict(item.split("=", 1) for item in extra)
