"""`consentry serve`: a supervisor that forks one writer process and N worker processes.

Workers (decode, consent, validate, redact, spool) share the port through SO_REUSEPORT; the writer owns the
ClickHouse client (required by embedded chDB: one process per engine path) and the control socket. With
--workers 0 one process does everything. SIGTERM / SIGINT: workers stop accepting, finish in-flight requests
and fsync; then the writer drains the spool within its deadline; exit 0."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import multiprocessing
import os
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable, Coroutine
from functools import partial
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from aiohttp import web

from ingest.app import create_app
from ingest.durable import control_client
from ingest.durable.service import WriterService
from ingest.metrics import Metrics, enable_multiprocess, process_exited
from ingest.settings import ConfigError, Settings
from ingest.stages.redact_crash import version_safe
from ingest.state import INTAKE
from ingest.tls import server_context

log = logging.getLogger("consentry.serve")
SHUTDOWN_TIMEOUT_S = 30.0
WRITER_START_TIMEOUT_S = 120.0
GC_THRESHOLDS = (20_000, 50, 100)  # CPython's default first generation is 700 objects
PR_SET_PDEATHSIG = 1
_fork = multiprocessing.get_context("fork")


def _refuse_second_collector(settings: Settings) -> None:
    try:
        answer = control_client.call(settings.control_socket, "/flush", {})
    except control_client.ControlError:
        answer = {}
    if answer is not None:
        raise ConfigError(f"data_dir {settings.data_path} is already served by a running collector")


def _reserve_port(settings: Settings) -> tuple[socket.socket, int]:
    """Bind (without listening) to fail fast on a taken port and to resolve port 0 once for every worker."""
    sock = socket.socket(socket.AF_INET6 if ":" in settings.http.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((settings.http.host, settings.http.port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"invalid setting http.port: cannot bind {settings.http.host}:{settings.http.port}: "
                          f"{exc.strerror}") from None
    return sock, int(sock.getsockname()[1])


def _prepare_heap(app: web.Application) -> None:
    """Load the deep redaction tier now (predictable crash latency), then move everything loaded so far out of
    the garbage collector's sight: a worker's long-lived objects (presidio, spaCy) made every collection
    expensive, and a larger first generation means fewer collections for the objects each batch creates."""
    redactor = app[INTAKE].redactor
    _ = redactor.ner_available  # builds the analyzer (an identifier-like text would not reach it)
    redactor.redact_text("The deep tier reads this sentence once before serving.", tier="deep")
    version_safe(redactor)  # the crash path's second policy (module versions), built once
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


_early_stop: list[int] = []  # a SIGTERM / SIGINT a forked child got while still starting (loading, warming up)


def _remember_stop(signum: int, frame: object) -> None:
    _early_stop.append(signum)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if _early_stop:  # asked to stop before it could listen for it: stop now, cleanly
        stop.set()
    await stop.wait()


async def _serve_single(settings: Settings, tls: ssl.SSLContext | None) -> None:
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S,
                           keepalive_timeout=settings.http.read_timeout_s)  # also bounds the headers' arrival
    await runner.setup()  # opens storage and migrates before anything listens
    _prepare_heap(app)
    try:
        await web.TCPSite(runner, settings.http.host, settings.http.port, ssl_context=tls).start()
        log.info("listening on %s://%s:%s (single process), data in %s", "https" if tls else "http",
                 settings.http.host, settings.http.port, settings.data_path)
        await _until_signalled()
    finally:
        await runner.cleanup()


async def _worker_main(settings: Settings, index: int, port: int, tls: ssl.SSLContext | None) -> None:
    app = create_app(settings, worker=f"w{index}", embedded_writer=False)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S,
                           keepalive_timeout=settings.http.read_timeout_s)  # also bounds the headers' arrival
    await runner.setup()
    _prepare_heap(app)
    try:
        site = web.TCPSite(runner, settings.http.host, port, reuse_port=True, ssl_context=tls)
        await site.start()
        await _until_signalled()
    finally:
        await runner.cleanup()


async def _writer_main(settings: Settings, ready: MpEvent) -> None:
    service = WriterService(settings, Metrics())
    try:
        await service.start()
        ready.set()
        await _until_signalled()
    finally:
        await service.stop()


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the supervisor dies, even by SIGKILL, so no orphan keeps the port or the engine."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child(target: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Entry point of a forked child: fresh signal handling, its own event loop running ``main()``. A stop signal
    that comes while the child is still starting (a worker warming up its redaction models takes seconds) is
    remembered and honoured once it runs, rather than killing it half-started with a non-zero exit."""
    _early_stop.clear()
    signal.signal(signal.SIGINT, _remember_stop)
    signal.signal(signal.SIGTERM, _remember_stop)
    _die_with_parent()
    try:
        asyncio.run(main())
    except Exception as exc:  # report and exit non-zero; the supervisor decides what follows
        log.error("%s failed: %s", target, exc)  # a log line, in the configured format
        sys.exit(3)


class Supervisor:
    def __init__(self, settings: Settings, workers: int, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self.port = port
        self.tls = tls  # built once before forking; each worker inherits it
        self.writer: BaseProcess | None = None
        self.children: dict[int, BaseProcess] = {}

    def start_writer(self) -> None:
        ready = _fork.Event()
        self.writer = _fork.Process(target=_child, args=("writer", partial(_writer_main, self.settings, ready)),
                                    name="consentry-writer")
        self.writer.start()
        deadline = time.monotonic() + WRITER_START_TIMEOUT_S
        while not ready.wait(0.1):
            if not self.writer.is_alive() or time.monotonic() > deadline:
                self.writer.kill()
                raise ConfigError("the writer could not open storage (see the message above)")

    def start_worker(self, index: int) -> None:
        main = partial(_worker_main, self.settings, index, self.port, self.tls)
        proc = _fork.Process(target=_child, args=("worker", main), name=f"consentry-worker-{index}")
        proc.start()
        self.children[index] = proc

    def restart_dead(self) -> None:
        for index, proc in list(self.children.items()):
            if not proc.is_alive():
                log.error("worker %d exited with %s; restarting it", index, proc.exitcode)
                process_exited(proc.pid or 0)
                self.start_worker(index)
        if self.writer is not None and not self.writer.is_alive():
            log.error("writer exited with %s; restarting it", self.writer.exitcode)
            process_exited(self.writer.pid or 0)
            self.start_writer()

    def stop(self) -> int:
        for proc in self.children.values():
            _terminate(proc)
        codes = {proc.name: _join(proc, SHUTDOWN_TIMEOUT_S + 5) for proc in self.children.values()}  # every one
        if self.writer is not None:
            _terminate(self.writer)
            codes[self.writer.name] = _join(self.writer, self.settings.writer.shutdown_deadline_s + 10)
        for name, code in codes.items():
            if code != 0:
                log.error("%s exited with %s while stopping", name, code)
        return 0 if all(code == 0 for code in codes.values()) else 1


def _terminate(proc: BaseProcess) -> None:
    if proc.is_alive() and proc.pid:
        os.kill(proc.pid, signal.SIGTERM)


def _join(proc: BaseProcess, timeout: float) -> int | None:
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return proc.exitcode


def serve(settings: Settings, workers: int) -> int:
    """Run until SIGTERM / SIGINT; return the process exit code."""
    _refuse_second_collector(settings)
    tls = server_context(settings)  # a bad certificate or key stops us before anything listens
    settings.data_path.mkdir(parents=True, exist_ok=True)
    if workers == 0:
        asyncio.run(_serve_single(settings, tls))
        return 0
    reservation, port = _reserve_port(settings)
    enable_multiprocess(str(settings.data_path / "metrics"))
    supervisor = Supervisor(settings, workers, port, tls)
    stop = {"requested": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    supervisor.start_writer()
    for index in range(workers):
        supervisor.start_worker(index)
    log.info("listening on %s://%s:%s with %d workers and a writer, data in %s", "https" if tls else "http",
             settings.http.host, port, workers, settings.data_path)
    try:
        while True:
            time.sleep(0.2)
            if stop["requested"]:
                break
            supervisor.restart_dead()
    finally:
        reservation.close()
    log.info("stopping: workers finish in-flight requests, then the writer drains the spool")
    return supervisor.stop()
