"""`consentry serve` with each worker profiled by cProfile, every thread of it: run as
`python bench/profile_serve.py DIR serve ...` (the benchmarks do, given --profile DIR).

A worker's event-loop thread is profiled from the end of its warm-up (the deep tier loaded) and each thread it
starts afterwards (the asyncio.to_thread pool) from its first instruction; when the worker stops (SIGTERM) all its
threads' figures are merged into DIR/worker-<pid>.prof, which `summary()` prints. Only the benchmarks use this:
nothing in the collector knows about it. cProfile roughly doubles the CPU of what it measures, so read the shares,
not the absolute times."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

_profiles: list[cProfile.Profile] = []


def _install(out: Path) -> None:
    from ingest import serve

    child, prepare_heap, thread_run = serve._child, serve._prepare_heap, threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profile = cProfile.Profile()
        _profiles.append(profile)
        profile.enable()
        try:
            thread_run(self)
        finally:
            profile.disable()

    def profiled_prepare_heap(app: Any) -> None:
        prepare_heap(app)
        threading.Thread.run = profiled_run  # type: ignore[method-assign]
        profile = cProfile.Profile()
        _profiles.append(profile)
        profile.enable()

    def profiled_child(target: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            child(target, main)
        finally:
            if target == "worker" and _profiles:
                for profile in _profiles:
                    profile.disable()
                stats: pstats.Stats | None = None
                for profile in _profiles:
                    try:
                        stats = pstats.Stats(profile) if stats is None else stats.add(profile)
                    except TypeError:  # a thread that never ran a profiled call
                        pass
                if stats is not None:
                    stats.dump_stats(str(out / f"worker-{os.getpid()}.prof"))

    serve._child = profiled_child  # type: ignore[assignment]
    serve._prepare_heap = profiled_prepare_heap  # type: ignore[assignment]


def summary(out: Path, top: int = 45) -> str:
    """The workers' merged figures: the functions by own time, then by cumulative time."""
    files = sorted(str(path) for path in out.glob("worker-*.prof"))
    if not files:
        return f"no profiles in {out}"
    text = io.StringIO()
    stats = pstats.Stats(*files, stream=text)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


if __name__ == "__main__":
    directory = Path(sys.argv[1])
    directory.mkdir(parents=True, exist_ok=True)
    _install(directory)
    from ingest.cli import main

    raise SystemExit(main(sys.argv[2:]))
