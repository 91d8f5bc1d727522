"""Deletion requests end to end: N events, then 1, 100 and 1,000 requests filed together over HTTP to a running
`consentry serve`, timed from filing until every request is done (no row of those installs left), next to one
bare `DELETE` of one install on the same store.

    .venv/bin/python bench/deletions_bench.py                     # 10 million events (50,000 installs)
    .venv/bin/python bench/deletions_bench.py --rows 2000000 --sizes 1,100

1. A child process builds the store in the embedded engine's directory (bench/deletions_store.py: INSERT ...
   SELECT FROM numbers(), the report views fed as by real inserts), writes the crash objects of the installs the
   bench will delete, and times the engine's bare `DELETE FROM events WHERE install_id = ...` for one install
   (the issue's baseline), then exits (chDB holds its directory for the life of a process).
2. `consentry serve` starts on that directory (jobs not scheduled; the deletion route's rate limit off, as the
   bench files every request from one address).
3. Per size K: K installs (none used before) are filed at once over HTTP (POST /v1/deletion-requests, 64 in
   flight), then the newest request is polled (GET /v1/deletion-requests/{id}; requests complete oldest first)
   until done, then every one is checked done. Filing -> all done is the figure.
4. After the server stops, a child process checks that no row of any filed install is left in events, crashes
   or rollup_install_weeks, that their objects are gone, and that every other install kept its rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from rawhttp import free_port  # bench/rawhttp.py: this folder is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
DATABASE = "consentry"



def open_store(data_dir: Path):  # type: ignore[no-untyped-def]
    from storage.clickhouse.client import ClickHouseStore, open_client

    return ClickHouseStore(open_client("", data_dir), DATABASE)


def child_build(data_dir: Path, rows: int, plan: list[int], first: int) -> None:
    """Build (rows 0: reuse the store there), put the objects of the installs to be deleted, time one bare DELETE
    and one bare ALTER ... DELETE; print one JSON line."""
    from deletions_store import build, install_uuid

    from storage.clickhouse.migrate import migrate
    from storage.objects import LocalObjectStore

    store = open_store(data_dir)
    if rows:
        migrate(store)
        installs = build(store, rows)
    else:
        installs = store.query(f"SELECT uniqExact(install_id) FROM {DATABASE}.events").rows[0][0]
    last = first + sum(plan)
    filed = [str(install_uuid(k)) for k in range(first, last)]
    bare = str(install_uuid(last))  # used by nothing else
    objects = LocalObjectStore(data_dir / "objects")
    where = "install_id IN (" + ", ".join(f"'{i}'" for i in filed) + ")"
    keys = store.query(f"SELECT minidump_key FROM {DATABASE}.crashes WHERE {where}").rows
    gone = [*filed, str(install_uuid(last)), str(install_uuid(last + 1))]
    kept = store.query(f"SELECT count(), uniqExact(install_id) FROM {DATABASE}.events WHERE install_id NOT IN "
                       "(" + ", ".join(f"'{i}'" for i in gone) + ")").rows[0]
    for (key,) in keys:
        objects.put(key, b"MDMP bench")
    started = time.monotonic()
    store.command(f"DELETE FROM {DATABASE}.events WHERE install_id = '{bare}'")
    bare_s = time.monotonic() - started
    started = time.monotonic()
    store.command(f"ALTER TABLE {DATABASE}.events DELETE WHERE install_id = '{str(install_uuid(last + 1))}' "
                  "SETTINGS mutations_sync = 2")
    alter_s = time.monotonic() - started
    parts = store.query(f"SELECT count() FROM system.parts WHERE database = '{DATABASE}' AND table = 'events' "
                        "AND active").rows[0][0]
    store.close()
    print(json.dumps({"installs": installs, "objects": len(keys), "kept_events": kept[0],
                      "kept_installs": kept[1], "bare_delete_s": round(bare_s, 2),
                      "bare_alter_s": round(alter_s, 2), "parts": parts}), flush=True)


def child_check(data_dir: Path, first: int, filed_count: int) -> None:
    from deletions_store import install_uuid

    from storage.objects import LocalObjectStore

    store = open_store(data_dir)
    filed = [str(install_uuid(k)) for k in range(first, first + filed_count)]
    where = "install_id IN (" + ", ".join(f"'{i}'" for i in filed) + ")"
    left = {table: store.query(f"SELECT count() FROM {DATABASE}.{table} WHERE {where}").rows[0][0]
            for table in ("events", "crashes", "rollup_install_weeks")}
    others = store.query(f"SELECT count(), uniqExact(install_id) FROM {DATABASE}.events").rows[0]
    objects = len(LocalObjectStore(data_dir / "objects").list("crashes/"))
    store.close()
    print(json.dumps({"left": left, "objects_left": objects, "events_left": others[0], "installs_left": others[1]}),
          flush=True)


def run_child(*args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True).stdout
    lines = out.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    return json.loads(lines[-1])  # type: ignore[no-any-return]


async def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"consentry serve exited with {proc.returncode}")
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("consentry serve did not become ready")


async def file_and_wait(base: str, installs: list[str]) -> tuple[float, float, float]:
    """Seconds from the first filing until: all filed (202), the newest request done, every request seen done.

    Requests complete oldest first (a batch takes the oldest pending ones), so the newest one done means all are;
    the bench then asks for every one anyway (that second figure includes answering K status requests)."""
    limit = asyncio.Semaphore(64)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

        async def post(install: str) -> tuple[str, str]:
            async with limit, session.post(f"{base}/v1/deletion-requests", json={"install_id": install}) as r:
                body = await r.json()
                if r.status != 202:
                    raise SystemExit(f"filing answered {r.status}: {body}")
                return body["requested_at"], body["request_id"]

        async def status(request_id: str) -> str:
            # The status read waits for the writer (a read barrier); while a long batch holds it the control socket
            # may time out and the answer is 503: an SDK would retry, and so does the bench.
            async with limit, session.get(f"{base}/v1/deletion-requests/{request_id}",
                                          timeout=aiohttp.ClientTimeout(total=3600)) as r:
                return str((await r.json())["status"]) if r.status == 200 else f"answered {r.status}"

        started = time.monotonic()
        filed = sorted(await asyncio.gather(*(post(i) for i in installs)))
        filing = time.monotonic() - started
        newest = filed[-1][1]
        while await status(newest) != "done":
            await asyncio.sleep(0.1)
        done = time.monotonic() - started
        pending = [rid for _, rid in filed]
        while pending:
            states = await asyncio.gather(*(status(rid) for rid in pending))
            pending = [rid for rid, state in zip(pending, states, strict=True) if state != "done"]
            if pending:
                await asyncio.sleep(0.25)
        return filing, done, time.monotonic() - started


def serve(data_dir: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "CONSENTRY_DATA_DIR": str(data_dir), "CONSENTRY_HTTP_PORT": str(port),
        "CONSENTRY_JOBS_SCHEDULE": "false", "CONSENTRY_RATE_LIMIT_DELETION_PER_CLIENT_RPS": "0",
    }
    binary = Path(sys.executable).with_name("consentry")
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - lives as long as the server
    extra = [] if workers is None else ["--workers", str(workers)]
    return subprocess.Popen([str(binary), "serve", *extra], env=env, stdout=log, stderr=log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--workers", type=int, default=None,
                        help="serve --workers (default: http.workers, one per CPU; 0: one process)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--reuse", type=Path, help="a data directory kept by --keep: no build")
    parser.add_argument("--first", type=int, default=0, help="number of the first install to delete (--reuse)")
    args = parser.parse_args()
    plan = [int(n) for n in args.sizes.split(",")]
    data_dir = args.reuse or Path(tempfile.mkdtemp(prefix="del-bench-"))
    try:
        built = run_child("build", str(data_dir), "0" if args.reuse else str(args.rows), args.sizes,
                          str(args.first))
        what = f"reused {data_dir}" if args.reuse else f"{args.rows:,} events"
        print(f"store: {what}, {built['installs']:,} installs, {built['parts']} active parts in events "
              f"after the bare deletes; {built['objects']} crash objects of the installs to delete")
        print(f"bare DELETE FROM events WHERE install_id = ... (one install): {built['bare_delete_s']} s; "
              f"bare ALTER TABLE events DELETE (one install): {built['bare_alter_s']} s")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = serve(data_dir, port, args.workers)
        try:
            asyncio.run(wait_ready(base, proc))
            first = args.first
            results = []
            for size in plan:
                installs = [f"00000000-0000-4000-8000-{k:012x}" for k in range(first, first + size)]
                first += size
                filing, total, verified = asyncio.run(file_and_wait(base, installs))
                results.append((size, total))
                print(f"{size:>5} request(s) filed together: filed in {filing:.2f} s, all done (no row left) "
                      f"{total:.2f} s after filing began ({verified:.2f} s once all {size} were asked)", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        checked = run_child("check", str(data_dir), str(args.first), str(sum(plan)))
        print(f"after: rows of the filed installs left {checked['left']}, crash objects left "
              f"{checked['objects_left']}; {checked['events_left']:,} events of {checked['installs_left']:,} "
              f"installs left (before: {built['kept_events']:,} events of {built['kept_installs']:,} other installs)")
        one = results[0][1]
        for size, total in results:
            print(f"  {size:>5} requests: {total:7.2f} s = {total / one:4.2f} x one request; "
                  f"{total / float(built['bare_delete_s']):4.2f} x the bare DELETE")  # type: ignore[arg-type]
    finally:
        if args.keep or args.reuse:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    if len(sys.argv) > 1 and sys.argv[1] == "build":
        child_build(Path(sys.argv[2]), int(sys.argv[3]), [int(n) for n in sys.argv[4].split(",")], int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "check":
        child_check(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
