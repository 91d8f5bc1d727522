"""What one writer insert costs ClickHouse (embedded chDB), per event row, and which part of it is which.

    .venv/bin/python bench/insert_bench.py                              # 25,000-row inserts, 10,000 installs
    .venv/bin/python bench/insert_bench.py --rows 100000 --installs 50000 --rounds 4
    .venv/bin/python bench/insert_bench.py --merges --rows 100000 --rounds 3      # what merging `events` costs

Each round inserts one fresh batch of pre-encoded rows (the JSONCompactEachRow lines the workers spool) into
each of several databases of one chDB engine, one per variant, interleaved so a busy machine slows them alike.
Variants: the schema as shipped; without each insert-time view; without any; the shipped schema inserted with
ClickHouse's default `optimize_on_insert = 1`; the trailing-window view that schemas/0008 removed, put back; and
the lines parsed straight into the table's LowCardinality columns instead of through input() (what the writer
did before).
Figures are CPU microseconds of this process (every chDB thread) per row, the first round left out as warm-up.
The data lives in a temporary directory removed at the end.

--merges: what one merge of `events` costs per row instead, as shipped and with the LowCardinality map keys that
schemas/0010 replaced. Each round inserts 6 batches with merges stopped, then merges them into one part
(OPTIMIZE ... FINAL) and counts the CPU of that merge; the variants alternate.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from storage.clickhouse.client import EVENT_INSERT_SETTINGS, ClickHouseStore, event_lines_insert, open_client
from storage.clickhouse.migrate import migrate
from storage.rows import EVENT_COLUMNS, EVENT_LINES_FORMAT, EventRow, encode_event_lines

VIEWS = ("rollup_events_daily_mv", "rollup_props_daily_mv", "rollup_active_daily_mv", "rollup_install_weeks_mv")
NAMES = [f"app.event{i}" for i in range(20)]
RELEASES = ["1.0", "1.1", "1.2"]
MODES = ["split", "single", "zen"]


def old_trailing_view(database: str) -> str:
    """The insert-time view of schemas/0007 (dropped by 0008), for comparison."""
    text = (resources.files("schemas") / "0007_report_rollups.sql").read_text()
    start = text.index("CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.rollup_active_trailing_mv")
    return text[start:text.index(";", start)].replace("{database}", database)


def batch(rng: random.Random, installs: list[uuid.UUID], size: int) -> bytes:
    now = datetime.now(UTC)
    rows = []
    for _ in range(size):
        install = rng.choice(installs)
        rows.append(EventRow(uuid.uuid4(), install, uuid.UUID(int=install.int ^ rng.randrange(4)), rng.choice(NAMES),
                             now - timedelta(seconds=rng.randrange(3600)), now, "app", rng.choice(RELEASES), "linux",
                             "6", "desktop", "1", {"mode": rng.choice(MODES)}, {"duration_ms": rng.random() * 1e3},
                             {"ok": True}, {}))
    return encode_event_lines(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=25_000, help="rows per insert (the writer's are up to 100k)")
    parser.add_argument("--installs", type=int, default=10_000, help="distinct installs the rows come from")
    parser.add_argument("--merges", action="store_true", help="time merging the parts of `events` instead")
    args = parser.parse_args()
    if args.merges:
        merges(args)
        return
    variants: dict[str, tuple[tuple[str, ...], dict[str, object], bool]] = {
        "as shipped": ((), EVENT_INSERT_SETTINGS, False),
        **{f"without {view}": ((view,), EVENT_INSERT_SETTINGS, False) for view in VIEWS},
        "without any view": (VIEWS, EVENT_INSERT_SETTINGS, False),
        "as shipped, optimize_on_insert = 1": ((), {**EVENT_INSERT_SETTINGS, "optimize_on_insert": 1}, False),
        "with the old trailing view (0007)": ((), EVENT_INSERT_SETTINGS, True),
        "parsed straight into the table's types": ((), EVENT_INSERT_SETTINGS, False),
    }
    workdir = Path(tempfile.mkdtemp(prefix="insert-bench-"))
    try:
        client = open_client(f"chdb://{workdir}/ch", workdir)
        stores = {}
        for index, (label, (dropped, _, old_view)) in enumerate(variants.items()):
            store = stores[label] = ClickHouseStore(client, f"variant{index}")
            migrate(store)
            for view in dropped:
                store.command(f"DROP TABLE {store.database}.{view}")
            if old_view:
                store.command(old_trailing_view(store.database))
        rng, installs = random.Random(1), [uuid.uuid4() for _ in range(args.installs)]
        scratch = workdir / "lines.jsonl"
        spent = dict.fromkeys(stores, 0.0)
        for round_ in range(args.rounds):
            for label, store in stores.items():
                lines = batch(rng, installs, args.rows)
                started = time.process_time()
                if label == "parsed straight into the table's types":
                    client.raw_insert(f"{store.database}.events", column_names=list(EVENT_COLUMNS),
                                      insert_block=lines, fmt=EVENT_LINES_FORMAT, settings=variants[label][1])
                else:  # what ClickHouseStore.insert_event_lines does, with this variant's settings
                    scratch.write_bytes(lines)
                    client.command(event_lines_insert(store.database, str(scratch)), settings=variants[label][1])
                if round_:
                    spent[label] += time.process_time() - started
        print(f"{args.rows}-row inserts from {args.installs} installs, {args.rounds - 1} measured rounds")
        for label, seconds in spent.items():
            print(f"{label:<40} {seconds / (args.rounds - 1) / args.rows * 1e6:6.2f} us CPU per row")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# schemas/0010_event_map_keys.sql, undone: the map keys as they were before it.
LOW_CARDINALITY_KEYS = [f"ALTER TABLE {{database}}.events MODIFY COLUMN {column} Map(LowCardinality(String), {value})"
                        for column, value in (("props_str", "String"), ("props_num", "Float64"),
                                              ("props_bool", "Bool"), ("redactions", "UInt32"))]
PARTS_PER_MERGE = 6


def merges(args: argparse.Namespace) -> None:
    variants = {"as shipped (plain map keys)": [],
                "LowCardinality map keys (before schemas/0010)": LOW_CARDINALITY_KEYS}
    workdir = Path(tempfile.mkdtemp(prefix="merge-bench-"))
    try:
        client = open_client(f"chdb://{workdir}/ch", workdir)
        stores = {}
        for index, (label, statements) in enumerate(variants.items()):
            store = stores[label] = ClickHouseStore(client, f"variant{index}")
            migrate(store)
            for statement in statements:
                store.command(statement.format(database=store.database))
        rng, installs = random.Random(1), [uuid.uuid4() for _ in range(args.installs)]
        scratch = workdir / "lines.jsonl"
        spent = dict.fromkeys(stores, 0.0)
        for _ in range(args.rounds):
            for label, store in stores.items():
                store.command(f"TRUNCATE TABLE {store.database}.events")
                store.command(f"SYSTEM STOP MERGES {store.database}.events")
                for _ in range(PARTS_PER_MERGE):
                    scratch.write_bytes(batch(rng, installs, args.rows))
                    client.command(event_lines_insert(store.database, str(scratch)), settings=EVENT_INSERT_SETTINGS)
                store.command(f"SYSTEM START MERGES {store.database}.events")
                started = time.process_time()
                store.command(f"OPTIMIZE TABLE {store.database}.events FINAL")
                spent[label] += time.process_time() - started
        rows = args.rounds * PARTS_PER_MERGE * args.rows
        print(f"{PARTS_PER_MERGE} parts of {args.rows} rows merged into one, {args.rounds} rounds")
        for label, seconds in spent.items():
            print(f"{label:<48} {seconds / rows * 1e6:6.2f} us CPU per row merged")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
