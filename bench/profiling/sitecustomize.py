"""cProfile in every process `consentry serve` forks, for bench/events_vs_ceiling.py --profile (py-spy is not
installed). This folder goes first on the collector's PYTHONPATH only when profiling; nothing in the collector
knows about it. SIGUSR1 starts a fresh profile in a child, SIGUSR2 writes it to
$BENCH_PROFILE_DIR/<pid>.prof. Handlers run on the main thread, which is the event loop's: the profile
covers the loop and whatever it calls, not worker threads (fsync, chDB inserts run there)."""

from __future__ import annotations

import cProfile
import os
import signal
from pathlib import Path
from types import FrameType

_OUT = os.environ.get("BENCH_PROFILE_DIR")
_profile: list[cProfile.Profile] = []


def _start(signum: int, frame: FrameType | None) -> None:
    _profile[:] = [cProfile.Profile()]
    _profile[0].enable()


def _dump(signum: int, frame: FrameType | None) -> None:
    if _profile and _OUT:
        _profile[0].disable()
        _profile[0].dump_stats(str(Path(_OUT) / f"{os.getpid()}.prof"))
        _profile.clear()


def _in_child() -> None:
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _dump)


if _OUT:
    os.register_at_fork(after_in_child=_in_child)
