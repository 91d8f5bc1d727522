"""Profiles of every process `consentry serve` forks, for bench/events_vs_ceiling.py --profile (py-spy is not
installed). This folder goes first on the collector's PYTHONPATH only when profiling; nothing in the collector
knows about it. SIGUSR1 starts a fresh profile in a child, SIGUSR2 writes it to $BENCH_PROFILE_DIR/<pid>.<kind>.

Two kinds, chosen by $BENCH_PROFILE_KIND:
- "cprofile": deterministic, every call counted (<pid>.prof, for pstats); it inflates code made of many small
  Python calls several times over, so shares are skewed towards them.
- "sample" (default): every millisecond of the process's CPU time (ITIMER_PROF) a signal handler records the
  main thread's stack (<pid>.samples, JSON: collapsed stack -> samples). Time in C code (decoding, regexes,
  syscalls) counts for the Python function that called it, and the shares are those of the real run. CPU of
  other threads (the spool's fsync, chDB) lands on whatever the main thread is doing then, usually waiting in
  select. (A sampling thread would see the main thread only where it releases the GIL: crc32 and socket writes.)
  The CPU time of the cyclic garbage collector's passes goes to <pid>.gc, by generation.
Handlers run on the main thread, which is the event loop's."""

from __future__ import annotations

import cProfile
import gc
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path
from types import FrameType

_OUT = os.environ.get("BENCH_PROFILE_DIR")
_KIND = os.environ.get("BENCH_PROFILE_KIND", "sample")
_INTERVAL_S = 0.001
_profile: list[cProfile.Profile] = []
_samples: Counter[str] = Counter()
_sampling: list[bool] = []
_gc: dict[str, float] = {}  # "gen<n>": seconds spent collecting, "gen<n>.count": collections, "start": now


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc["start"] = time.process_time()
    elif "start" in _gc:
        key = f"gen{info['generation']}"
        _gc[key] = _gc.get(key, 0.0) + time.process_time() - _gc.pop("start")
        _gc[f"{key}.count"] = _gc.get(f"{key}.count", 0.0) + 1


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{code.co_name}"


def _sample(signum: int, frame: FrameType | None) -> None:
    stack = []
    while frame is not None:
        stack.append(_where(frame))
        frame = frame.f_back
    _samples[";".join(reversed(stack))] += 1


def _start(signum: int, frame: FrameType | None) -> None:
    if _KIND == "cprofile":
        _profile[:] = [cProfile.Profile()]
        _profile[0].enable()
        return
    _samples.clear()
    _gc.clear()
    if _gc_timer not in gc.callbacks:
        gc.callbacks.append(_gc_timer)
    _sampling[:] = [True]
    signal.signal(signal.SIGPROF, _sample)
    signal.setitimer(signal.ITIMER_PROF, _INTERVAL_S, _INTERVAL_S)


def _dump(signum: int, frame: FrameType | None) -> None:
    if not _OUT:
        return
    if _profile:
        _profile[0].disable()
        _profile[0].dump_stats(str(Path(_OUT) / f"{os.getpid()}.prof"))
        _profile.clear()
    if _sampling:
        signal.setitimer(signal.ITIMER_PROF, 0)
        _sampling.clear()
        _gc.pop("start", None)
        (Path(_OUT) / f"{os.getpid()}.samples").write_text(json.dumps(_samples))
        (Path(_OUT) / f"{os.getpid()}.gc").write_text(json.dumps(_gc))


def _in_child() -> None:
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _dump)


if _OUT:
    os.register_at_fork(after_in_child=_in_child)
