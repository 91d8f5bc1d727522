"""Fault proofs against the real multi-process collector: SIGKILL under load, and SIGTERM under load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "kill9.py"


def test_sigkill_under_load_loses_no_acknowledged_event_or_crash() -> None:
    # Three cycles here keep the suite fast; `bench/kill9.py --cycles 20` is the long run. Two clients send
    # Crashpad uploads alongside the events (the default), alternating spilled and in-memory dumps.
    # Fewer event clients and longer cycles than the bench's defaults: on a slow machine sixteen event clients
    # kept every crash upload from finishing inside a 2 s cycle (a fresh-clone run acknowledged none).
    done = subprocess.run([sys.executable, str(BENCH), "--cycles", "3", "--concurrency", "4", "--max-seconds", "4",
                           "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["acknowledged"] > 0
    assert result["lost"] == 0, result
    assert result["duplicates"] == 0, result
    assert result["crashes_acknowledged"] > result["crashes_acknowledged_spilled"] > 0, result
    assert result["crashes_lost"] == 0, result
    assert result["crash_bad_dumps"] == 0, result  # each acknowledged dump readable, with the sha256 sent
    assert result["crash_duplicates"] == 0, result
    assert result["clean_exit"] == 1, result
