"""Which statement erases a batch of installs fastest: timed on one store, for batches of 1, 100 and 1,000 installs.

    .venv/bin/python bench/deletion_statements_bench.py --rows 2000000 --way alter
    .venv/bin/python bench/deletion_statements_bench.py --rows 2000000 --way lightweight

Ways (each on a fresh store in its own process: a lightweight delete leaves masks the next way would pay for):
  lightweight  DELETE FROM events WHERE install_id IN (...)          (mask column per touched part)
  alter        ALTER TABLE events DELETE WHERE install_id IN (...)   (rewrites every touched part)
  rewrite      per affected day: INSERT INTO a stage SELECT the day without the installs, REPLACE PARTITION
               (the de-identification machinery, storage/jobs/staging.py)
Every way is timed on `events`, the big table; `find` is the one read that lists the affected partitions and the
rows per install (what the audit needs), paid by every way.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from deletions_store import build, install_uuid

from storage.clickhouse.client import ClickHouseStore, open_client, string
from storage.clickhouse.migrate import migrate
from storage.jobs.staging import Staging


def ids_sql(ids: list[str]) -> str:
    return "(" + ", ".join(f"toUUID({string(i)})" for i in ids) + ")"


def find(store: ClickHouseStore, ids: list[str]) -> list[str]:
    rows = store.query(f"SELECT _partition_id, count() FROM {store.database}.events WHERE install_id IN "
                       f"{ids_sql(ids)} GROUP BY _partition_id").rows
    return [r[0] for r in rows]


def erase(store: ClickHouseStore, way: str, ids: list[str], partitions: list[str], stage: Staging | None) -> None:
    db, where = store.database, f"install_id IN {ids_sql(ids)}"
    if way == "lightweight":
        store.command(f"DELETE FROM {db}.events WHERE {where}")
    elif way == "alter":
        store.command(f"ALTER TABLE {db}.events DELETE WHERE {where} SETTINGS mutations_sync = 2")
    elif way == "alter_in_partition":
        for partition in partitions:
            store.command(f"ALTER TABLE {db}.events DELETE IN PARTITION ID '{partition}' WHERE {where} "
                          "SETTINGS mutations_sync = 2")
    elif way == "rewrite":
        assert stage is not None
        for partition in partitions:
            store.command(stage.truncate_sql())
            store.command(f"INSERT INTO {db}.{stage.name} SELECT * FROM {db}.events WHERE _partition_id = "
                          f"'{partition}' AND NOT ({where}) SETTINGS optimize_on_insert = 0")
            store.command(stage.swap_sql(partition))
    else:
        raise SystemExit(f"unknown way {way}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--way", default="alter")
    parser.add_argument("--batches", default="1,100,1000")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="del-stmt-"))
    try:
        store = ClickHouseStore(open_client(f"chdb://{root / 'ch'}", root), "bench")
        migrate(store)
        installs = build(store, args.rows, args.days)
        first = 0
        stage = Staging(store, "events").__enter__() if args.way == "rewrite" else None
        for size in (int(n) for n in args.batches.split(",")):
            ids = [str(install_uuid(k)) for k in range(first, first + size)]
            first += size
            assert first <= installs
            started = time.monotonic()
            partitions = find(store, ids)
            found = time.monotonic() - started
            erase(store, args.way, ids, partitions, stage)
            took = time.monotonic() - started
            left = store.query(f"SELECT count() FROM bench.events WHERE install_id IN {ids_sql(ids)}").rows[0][0]
            print(f"{args.way:>18} {size:>5} installs: find {found:6.2f} s ({len(partitions)} partitions), "
                  f"total {took:6.2f} s, rows left {left}", flush=True)
        if stage is not None:
            stage.__exit__()
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
