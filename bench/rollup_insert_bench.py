"""What the report rollup views cost the intake: 1000-event inserts with every view, and without those of 0007.

    .venv/bin/python bench/rollup_insert_bench.py            # 80 rounds
    .venv/bin/python bench/rollup_insert_bench.py --rounds 200

Each round inserts one fresh batch into each of several databases in one chDB engine, one per variant (every
view; without schemas/0007's views; without one of them), interleaved so a busy machine slows them alike. A
batch is what group commit hands ClickHouse under load: 1000 events of one hour, 5000 installs, 20 event names,
3 releases. The data lives in a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.clickhouse import ClickHouseStore, open_client
from storage.migrate import migrate
from storage.rows import EventRow

VIEWS_0007 = ("rollup_active_trailing_mv", "rollup_install_weeks_mv")
VARIANTS = {"every view": (), "without 0007": VIEWS_0007,
            **{f"without {view}": (view,) for view in VIEWS_0007}}


def batch(rng: random.Random, installs: list[uuid.UUID], size: int) -> list[EventRow]:
    now = datetime.now(UTC)
    rows = []
    for _ in range(size):
        install = rng.choice(installs)
        rows.append(EventRow(uuid.uuid4(), install, uuid.UUID(int=install.int ^ 1), f"app.event{rng.randrange(20)}",
                             now - timedelta(seconds=rng.randrange(3600)), now, "app",
                             rng.choice(["1.0", "1.1", "1.2"]), "linux", "6", "desktop", "1", {"mode": "a"}, {}, {},
                             {}))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rollup-insert-bench-"))
    try:
        client = open_client(f"chdb://{workdir}/ch", workdir)
        stores = {}
        for index, (label, dropped) in enumerate(VARIANTS.items()):
            stores[label] = ClickHouseStore(client, f"variant{index}")
            migrate(stores[label])
            for view in dropped:
                stores[label].command(f"DROP TABLE {stores[label].database}.{view}")
        rng, installs = random.Random(1), [uuid.uuid4() for _ in range(5000)]
        spent = dict.fromkeys(stores, 0.0)
        for _ in range(args.rounds):
            for label, store in stores.items():
                rows = batch(rng, installs, args.batch)
                started = time.monotonic()
                store.insert_events(rows)
                spent[label] += time.monotonic() - started
        for label, seconds in spent.items():
            print(f"{label:<40} {seconds / args.rounds * 1000:7.1f} ms per {args.batch}-event insert")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
