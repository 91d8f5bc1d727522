"""Per-stage CPU cost of a Crashpad upload on one core, without HTTP: the same uploads as crash_vs_antenna.py.

    .venv/bin/python bench/crash_stages_bench.py                      # 300 uploads, best of 3 passes
    .venv/bin/python bench/crash_stages_bench.py --source /tmp/other  # another tree, for a pair in one run

Stages, in the order POST /v1/crashes runs them: `form` (the multipart body fed in 64 KiB pieces as aiohttp hands
them over, the dump part staged into the local object store's buffer, then the Crashpad fields read and the crash
id hashed), `validate`, `minidump` (parse_minidump in place, no CodeView ids), `redact` (the dump's context and
redact_crash: memo hits after the first pass, as in a running worker), `objects` (put_objects: the dump committed
with fsync, into a fresh temporary directory), `row` (the spool record encoded and framed).

Prints CPU microseconds per upload (this process's CPU time: waiting for a core shared with other work is not
counted, so the figures hold under load far better than wall time), best of --repeat passes. The `objects`
stage's kernel share is printed apart: it is system calls (write, fsync, rename, mkdir).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--uploads", type=int, default=300)
    p.add_argument("--dump-kib", type=int, default=300)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--source", type=Path, help="collector source tree to import (first on sys.path)")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if args.source:
        sys.path.insert(0, str(args.source.resolve()))
    from crash_vs_antenna import BOUNDARY, build_uploads  # bench/: this folder is on sys.path as a script

    from ingest.crash.minidump import parse_minidump
    from ingest.crash.multipart import FormReader
    from ingest.durable.records import SpoolCrash, frame
    from ingest.frontdoors.crashes import crash_part_limits, decode_crash
    from ingest.settings import CrashLimitSettings, LimitSettings
    from ingest.stages import pipeline
    from ingest.stages.decode import discard_parts
    from ingest.stages.derive import with_dump_context
    from ingest.stages.objects import crash_prefix, put_objects
    from ingest.stages.redact_crash import DeepBudget, redact_crash
    from ingest.stages.validate import validate_crash
    from redact import Redactor
    from storage.objects import LocalObjectStore, StagedObject

    bodies = build_uploads(args.uploads, args.dump_kib, seed=7)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    crash_limits, limits, redactor = CrashLimitSettings(), LimitSettings(), Redactor()
    part_limits = crash_part_limits(crash_limits)
    best: dict[str, float] = {}
    kernel_objects = float("inf")
    for _ in range(args.repeat):
        root = Path(tempfile.mkdtemp(prefix="crash-stages-", dir=os.environ.get("TMPDIR")))
        store = LocalObjectStore(root / "objects")
        store.check()
        spent = dict.fromkeys(("form", "validate", "minidump", "redact", "objects", "row"), 0.0)
        kernel = 0.0
        try:
            for body in bodies:
                t0 = time.process_time()
                reader = FormReader(content_type, limits=part_limits, stage=store.stage)
                for at in range(0, len(body), 64 * 1024):
                    reader.feed(body[at:at + 64 * 1024])
                parts = reader.close()
                upload = decode_crash(parts, crash_limits)
                t1 = time.process_time()
                now = datetime.now(UTC)
                report = validate_crash(upload.report, crash_limits, limits, now)
                t2 = time.process_time()
                dump = upload.minidump
                assert isinstance(dump, StagedObject)
                with dump.mapped() as view:
                    info = parse_minidump(view, ids=False)
                t3 = time.process_time()
                clean = redact_crash(with_dump_context(report, info), info, upload.attachments, redactor,
                                     exception_type=info.exception_name or "NativeCrash",
                                     budget=DeepBudget(crash_limits.deep_chars_per_request))
                t4, k4 = time.process_time(), os.times().system
                stored = put_objects(store, crash_prefix(report.crash_id, now), dump, clean.attachments)
                t5, k5 = time.process_time(), os.times().system
                row = pipeline._crash_row(report, upload, info, clean, stored, now, now)
                frame(SpoolCrash(row))
                t6 = time.process_time()
                discard_parts(parts)
                for stage, took in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
                    spent[stage] += took
                kernel += k5 - k4
        finally:
            shutil.rmtree(root, ignore_errors=True)
        for stage, total in spent.items():
            best[stage] = min(best.get(stage, float("inf")), total)
        kernel_objects = min(kernel_objects, kernel)
    n = len(bodies)
    print(f"{n} uploads of {args.dump_kib} KiB, best of {args.repeat}; CPU us per upload")
    for stage, total in best.items():
        extra = f"  (kernel {kernel_objects / n * 1e6:7.0f})" if stage == "objects" else ""
        print(f"  {stage:9s} {total / n * 1e6:8.0f}{extra}")
    print(f"  {'total':9s} {sum(best.values()) / n * 1e6:8.0f}")


if __name__ == "__main__":
    main()
