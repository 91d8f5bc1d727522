"""Per-stage cost of the event pipeline on one core, without HTTP: decode, consent, validate, redact, spool
record (row encoding), framing (checksum). The same bodies as bench/load.py.

    .venv/bin/python bench/stages_bench.py                  # 2000 batches of 100 events
    .venv/bin/python bench/stages_bench.py --batches 500 --encoding msgpack
    .venv/bin/python bench/stages_bench.py --installs 500 --personal 0.03    # events_vs_ceiling.py's bodies

Prints CPU microseconds (this process's CPU time, so waiting for a core shared with other work is not counted) per
batch and per event for each stage, best of --repeat passes (the machine's other load only ever adds time).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from load import build_bodies  # bench/load.py: this folder is on sys.path when run as a script

from ingest.consent.request import check_consent
from ingest.durable.records import SpoolBatch, frame
from ingest.settings import LimitSettings
from ingest.stages.decode import decode_events
from ingest.stages.redact import redact_batch
from ingest.stages.validate import validate_batch
from redact.redactor import Redactor

CONTENT_TYPES = {"json": "application/json", "msgpack": "application/msgpack"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--events-per-batch", type=int, default=100)
    parser.add_argument("--encoding", choices=tuple(CONTENT_TYPES), default="json")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--installs", type=int, help="installs the bodies come from (default: 32)")
    parser.add_argument("--personal", type=float, default=0.0,
                        help="share of events with a path or an e-mail (bench/events_vs_ceiling.py: 0.03)")
    args = parser.parse_args()
    bodies = [body.data for body in build_bodies(args.batches, 32, args.events_per_batch, args.encoding, 1,
                                                 installs=args.installs, personal_share=args.personal)]
    content_type, limits, redactor, now = CONTENT_TYPES[args.encoding], LimitSettings(), Redactor(), datetime.now(UTC)
    # Each stage's inputs are the previous stage's outputs, made once up front so each is timed alone.
    decoded = [decode_events(body, content_type) for body in bodies]
    batches = [validate_batch(d, limits, now) for d in decoded]
    redacted = [redact_batch(b, redactor, now) for b in batches]
    records = [SpoolBatch.of(b.install_id, r.rows, now.timestamp()) for b, r in zip(batches, redacted, strict=True)]
    stages: list[tuple[str, Callable[[int], Any]]] = [
        ("decode", lambda i: decode_events(bodies[i], content_type)),
        ("consent", lambda i: check_consent(decoded[i], "telemetry")),
        ("validate", lambda i: validate_batch(decoded[i], limits, now)),
        ("redact", lambda i: redact_batch(batches[i], redactor, now)),
        ("spool record", lambda i: SpoolBatch.of(batches[i].install_id, redacted[i].rows, now.timestamp())),
        ("frame", lambda i: frame(records[i])),
    ]
    total = 0.0
    print(f"{args.batches} batches of {args.events_per_batch} events ({args.encoding}), best of {args.repeat}")
    for label, stage in stages:
        best = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()
            for index in range(args.batches):
                stage(index)
            best = min(best, time.process_time() - started)
        per_batch = best / args.batches * 1e6
        total += per_batch
        print(f"{label:<14}{per_batch:8.1f} us/batch {per_batch / args.events_per_batch:6.2f} us/event")
    print(f"{'total':<14}{total:8.1f} us/batch {total / args.events_per_batch:6.2f} us/event")


if __name__ == "__main__":
    main()
