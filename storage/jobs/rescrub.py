"""Re-scrub: rewrite day partitions holding rows redacted by an older policy version, with the current rules.

Every event and crash row records the redaction policy version that processed it (`redaction_version`, from
redact/version.py; 0 = stored before versioning). When the rules improve, what was stored earlier still holds
what the old rules missed; this job re-redacts it. Storage does not know the rules (storage sits below redact and
ingest): the job is handed a Reredactor through JobContext.reredactor, built by ingest from the collector's own
Redactor, so stored rows get exactly the treatment a new event or crash gets today.

Per day partition (the de-identify machinery: jobs/staging.py, the optimistic swap, the ledger):
1. skip it when the ledger has it done at this version and no insert came since (max block), or when every row is
   already current (`min(redaction_version)`, one small column);
2. read the rows of an older version (only the redacted columns and the row id), in hash buckets of at most
   BUCKET_ROWS so memory stays bounded, re-redact them in Python, and load the rows whose values changed into a
   patch table (id -> new values, the redaction counts merged: old counts plus what the current rules found);
   crash rows also get their text attachments re-redacted in the object store (rewritten in place, stamped with
   the version in their metadata, so a retry does not redo them);
3. copy the day into the stage, taking new values from the patch where it has the row (joinGet on a Join
   table, so the copy stays the per-shard INSERT ... SELECT de-identify uses) and raising every row's version;
   swap it in only if the partition did not change meanwhile (else retried, then left for the next run); the
   day is recorded in the ledger under `rescrub.v<version>.<table>`.

Kept as stored: ids, timestamps, the event name (validated, never redacted), and the crash fingerprint (a hash
with nothing personal in it, part of the sort key and of rollup_crashes_daily's grouping: recomputing it would
split a crash group between the rollup and the rows). Rollups (counts per day and per allowlisted enum-like prop
value) are filled at insert and are not rewritten.
"""

from __future__ import annotations

import gc
import hashlib
import time
from typing import Protocol

import msgspec

from storage.clickhouse.client import ClickHouseStore, string
from storage.clickhouse.target import Target
from storage.errors import ObjectNotFound
from storage.jobs import ledger
from storage.jobs.base import JobContext, JobResult
from storage.jobs.sql import Partition, day_partitions, partition_of, table_exists
from storage.jobs.staging import Staging
from storage.objects import ObjectStore
from storage.rows import FrameRow

VERSION_METADATA = "redaction-version"  # object metadata of a text attachment: the version that redacted it
STAGE_SUFFIX = "_rescrub_stage"
PATCH_SUFFIX = "_rescrub_patch"
ATTEMPTS = 3  # a day that changes under the rewrite is retried, then left for the next run
BUCKET_ROWS = 250_000  # rows read into Python at once (a day with more is read in hash buckets)
LINES = "JSONCompactEachRow"
# Read settings: 64-bit integers (attachment sizes) as numbers and frames as arrays, as msgspec decodes them.
READ_SETTINGS = {"output_format_json_quote_64bit_integers": 0, "output_format_json_named_tuples_as_objects": 0,
                 "output_format_json_escape_forward_slashes": 0}
WRITE_SETTINGS = {"input_format_json_named_tuples_as_objects": 0}  # frames as arrays, as they were read
CONTEXT = ("app", "app_version", "os", "os_version", "device_type", "policy_version")


class StoredEvent(msgspec.Struct, array_like=True, frozen=True):
    """The redacted columns of an events row, as stored (props_num as float, as the pipeline stores them)."""

    event_id: str
    app: str
    app_version: str
    os: str
    os_version: str
    device_type: str
    policy_version: str
    props_str: dict[str, str]
    props_num: dict[str, float]
    props_bool: dict[str, bool]
    redactions: dict[str, int]


class StoredCrash(msgspec.Struct, array_like=True, frozen=True):
    """The redacted columns of a crashes row, as stored, and its attachments' keys and sizes."""

    crash_id: str
    app: str
    app_version: str
    os: str
    os_version: str
    device_type: str
    policy_version: str
    exception_type: str
    exception_message: str
    frames: list[FrameRow]
    breadcrumbs: list[str]
    extra: dict[str, str]
    dump_modules: list[str]
    attachment_keys: list[str]
    attachment_sizes: list[int]
    redactions: dict[str, int]


class Reredactor(Protocol):
    """The current rules applied to stored values (ingest/stages/rescrub.py); storage never imports them."""

    @property
    def version(self) -> int:
        """redact/version.py REDACTION_VERSION: rows of a lower version are re-scrubbed."""
        ...

    def event(self, row: StoredEvent) -> StoredEvent | None:
        """The row re-redacted with its counts merged, or None when no value changes."""
        ...

    def crash(self, row: StoredCrash) -> StoredCrash | None:
        """As event(), for the crash's text columns (attachments are done by the job, through attachment())."""
        ...

    def attachment(self, text: str) -> tuple[str, dict[str, int]]:
        """A stored text attachment re-redacted, and what the current rules found in it."""
        ...


class DataClass(msgspec.Struct, frozen=True):
    name: str  # also the table
    key: str  # the row id the patch is joined on
    row: type[StoredEvent] | type[StoredCrash]


CLASSES = (DataClass("events", "event_id", StoredEvent), DataClass("crashes", "crash_id", StoredCrash))


class Tally(msgspec.Struct):
    """What one run did, per table: rows re-scrubbed (older version), rows whose values changed."""

    rows: dict[str, int]
    changed: dict[str, int]
    attachments: int = 0
    partitions: int = 0
    current: int = 0  # partitions skipped: every row already at this version
    changed_under_us: int = 0
    python_seconds: float = 0.0  # reading, re-redacting and patching (the rest is ClickHouse's copy and swap)


def rescrub(ctx: JobContext) -> JobResult:
    tally = Tally({data.name: 0 for data in CLASSES}, {data.name: 0 for data in CLASSES})
    fix = ctx.reredactor
    if fix is None:  # contexts built without the rules (storage-only tools and tests) cannot re-scrub
        return JobResult("rescrub", tally.rows, 0, {"skipped": "no re-redactor in this job context"})
    started = time.monotonic()
    plan = [(data, partition) for data in CLASSES for partition in _pending(ctx.store, data, fix.version, tally)]
    done = 0
    ctx.progress(0, len(plan))
    for data in CLASSES:
        days = [partition for owner, partition in plan if owner is data]
        if not days:
            continue
        with Staging(ctx.store, data.name, STAGE_SUFFIX) as stage, Patch(ctx.store, data) as patch:
            for partition in days:
                _rewrite(ctx, fix, data, partition, stage, patch, tally)
                done += 1
                ctx.progress(done, len(plan))
    rows = sum(tally.rows.values())
    seconds = time.monotonic() - started
    details: dict[str, object] = {
        "version": fix.version, "partitions": tally.partitions, "partitions_current": tally.current,
        "changed_under_us": tally.changed_under_us, "changed": tally.changed,
        "python_seconds": round(tally.python_seconds, 3),
        "rows_per_s": round(rows / seconds) if seconds > 0 else 0}
    return JobResult("rescrub", tally.rows, tally.attachments, details)


def progress_class(data: DataClass, version: int) -> str:
    """The ledger's data class: per version, so a bump makes every day pending again."""
    return f"rescrub.v{version}.{data.name}"


def _pending(store: ClickHouseStore, data: DataClass, version: int, tally: Tally) -> list[Partition]:
    """Days not finished at this version (or with inserts since) that hold a row of an older version."""
    if not table_exists(store, data.name):
        return []
    finished = ledger.finished(store, progress_class(data, version))
    unknown = [p for p in day_partitions(store, data.name) if p.max_block > finished.get(p.day, -1)]
    if not unknown:
        return []
    ids = ", ".join(string(p.partition_id) for p in unknown)
    oldest = dict(store.query(f"SELECT _partition_id, min(redaction_version) FROM {store.database}.{data.name} "
                              f"WHERE _partition_id IN ({ids}) GROUP BY _partition_id", read_only=False).rows)
    stale = [p for p in unknown if int(oldest.get(p.partition_id, version)) < version]
    tally.current += len(unknown) - len(stale)
    return stale


def _rewrite(ctx: JobContext, fix: Reredactor, data: DataClass, before: Partition, stage: Staging, patch: Patch,
             tally: Tally) -> None:
    store = ctx.store
    for _ in range(ATTEMPTS):
        now = partition_of(store, data.name, before.day)
        if now is None:
            return  # dropped (expired) meanwhile: nothing left to re-scrub
        for sql in patch.reset_sql():
            store.command(sql)
        clock = time.monotonic()
        old, changed, objects = _patch(store, ctx.objects, fix, data, now, patch)
        tally.python_seconds += time.monotonic() - clock
        if changed:
            for sql in patch.publish_sql():
                store.command(sql)
        store.command(stage.truncate_sql())
        # A day where nothing changed is only re-stamped: the copy then skips the patch lookups.
        store.command(stage.copy_sql(now.partition_id, _replace(data, patch if changed else None, fix.version)))
        after = partition_of(store, data.name, before.day)
        tally.attachments += objects  # rewritten in the object store whether or not the swap happens
        if after is not None and after.max_block == now.max_block and after.rows == now.rows:
            store.command(stage.swap_sql(now.partition_id))
            swapped = partition_of(store, data.name, before.day)
            ledger.mark(store, progress_class(data, fix.version), before.day,
                        max_block=swapped.max_block if swapped else 0, rows=old, now=ctx.now())
            tally.rows[data.name] += old
            tally.changed[data.name] += changed
            tally.partitions += 1
            return
    tally.changed_under_us += 1


def _replace(data: DataClass, patch: Patch | None, version: int) -> str:
    """New values from the patch row where there is one; every row gets the version (never lowered)."""
    stamp = f"greatest(redaction_version, {int(version)}) AS redaction_version"
    if patch is None:
        return stamp
    columns = [field.name for field in msgspec.structs.fields(data.row) if field.name not in (data.key,
                                                                                                "attachment_keys")]
    hit = patch.lookup("hit")
    return ", ".join([*(f"if({hit}, {patch.lookup(name)}, {name}) AS {name}" for name in columns), stamp])


def _patch(store: ClickHouseStore, objects: ObjectStore, fix: Reredactor, data: DataClass, partition: Partition,
           patch: Patch) -> tuple[int, int, int]:
    """Fill the patch with this day's changed rows; (rows of an older version, rows changed, objects rewritten)."""
    names = [field.name for field in msgspec.structs.fields(data.row)]
    buckets = max(1, -(-partition.rows // BUCKET_ROWS))
    decoder = msgspec.json.Decoder(data.row)
    encoder = msgspec.json.Encoder()
    old = changed = rewritten = 0
    for bucket in range(buckets):
        spread = f" AND cityHash64({data.key}) % {buckets} = {bucket}" if buckets > 1 else ""
        raw = store.query_raw(
            f"SELECT {', '.join(names)} FROM {store.database}.{data.name} WHERE _partition_id = "
            f"{string(partition.partition_id)} AND redaction_version < {int(fix.version)}{spread}", LINES,
            READ_SETTINGS)
        out = bytearray()
        # A bucket is ~2M small objects that live until it is done: the cyclic collector would walk them all
        # again and again (it took half the Python time); nothing here makes cycles, so it waits for the bucket.
        gc.disable()
        try:
            rows = decoder.decode_lines(raw)
            del raw
            old += len(rows)
            for row in rows:
                if isinstance(row, StoredEvent):
                    new: StoredEvent | StoredCrash | None = fix.event(row)
                else:
                    new, objects_done = _crash(objects, fix, row)
                    rewritten += objects_done
                if new is not None:  # None: nothing changed
                    changed += 1
                    encoder.encode_into([*msgspec.structs.astuple(new), 1], out, -1)
                    out += b"\n"
            del rows
        finally:
            gc.enable()
        store.insert_lines(patch.feed, patch.structure, LINES, bytes(out), WRITE_SETTINGS)
    return old, changed, rewritten


def _crash(objects: ObjectStore, fix: Reredactor, row: StoredCrash) -> tuple[StoredCrash | None, int]:
    """The crash row re-redacted, its attachments re-redacted in place; (new row or None, objects rewritten)."""
    new = fix.crash(row) or row
    sizes, found, rewritten = list(new.attachment_sizes), dict(new.redactions), 0
    for index, key in enumerate(row.attachment_keys):
        result = _attachment(objects, fix, key)
        if result is None:
            continue
        size, findings = result
        rewritten += 1
        if index < len(sizes):
            sizes[index] = size
        for rule, count in findings.items():
            found[rule] = found.get(rule, 0) + count
    if rewritten:
        new = msgspec.structs.replace(new, attachment_sizes=sizes, redactions=found)
    return (new if new != row else None), rewritten


def _attachment(objects: ObjectStore, fix: Reredactor, key: str) -> tuple[int, dict[str, int]] | None:
    """Re-redact one stored text attachment unless it already carries this version; (new size, findings)."""
    try:
        stat = objects.stat(key)
        if int(stat.metadata.get(VERSION_METADATA, "0") or 0) >= fix.version:
            return None
        text = objects.get(key).decode("utf-8", errors="replace")
    except ObjectNotFound:
        return None  # swept (dumps and attachments go earlier than rows) or deleted: nothing left to redact
    clean, findings = fix.attachment(text)
    data = clean.encode()
    objects.put(key, data, content_type="text/plain; charset=utf-8",
                metadata={"sha256": hashlib.sha256(data).hexdigest(), VERSION_METADATA: str(fix.version)})
    return len(data), findings


class Patch:
    """`<table>_rescrub_patch`: the changed rows of the day being rewritten (id -> new values, hit = 1), in a Join
    engine table, so the copy looks them up with joinGet() and stays a plain single-table INSERT ... SELECT (on a
    cluster: the per-shard copy, which a JOIN in the SELECT would turn into a copy through the initiator).

    Its columns take the table's own types (read from system.columns), so if(hit, new, old) needs no cast. On a
    cluster each shard's copy looks up its own node's Join table: the rows are loaded into a feed replicated to
    every node (one Keeper path without {shard}), synced, and each node's Join table is made from its replica of
    the feed (CREATE ... ON CLUSTER ... AS SELECT)."""

    def __init__(self, store: ClickHouseStore, data: DataClass) -> None:
        self._store = store
        self._target = Target.of(store)
        self._data = data
        self.name = data.name + PATCH_SUFFIX
        self.feed = self.name + "_feed" if self._target.cluster else self.name  # where the rows are inserted
        self.structure = ""

    def lookup(self, column: str) -> str:
        """The patch row's value of `column` for the row being copied (the column's default where there is none)."""
        return f"joinGet({string(f'{self._target.database}.{self.name}')}, {string(column)}, {self._data.key})"

    def _join_sql(self, body: str) -> str:
        return f"CREATE TABLE {self._target.ddl(self.name)} {body}ENGINE = Join(ANY, LEFT, {self._data.key})"

    def create_sql(self) -> list[str]:
        t = self._target
        if not t.cluster:
            return [self._join_sql(f"({self.structure}) ")]
        keeper = f"/clickhouse/tables/all/{t.database}/{self.feed}"
        return [f"CREATE TABLE {t.ddl(self.feed)} ({self.structure}) "
                f"ENGINE = ReplicatedMergeTree('{keeper}', '{{replica}}') ORDER BY {self._data.key}"]

    def drop_sql(self) -> list[str]:
        names = [self.name, self.feed] if self._target.cluster else [self.name]
        return [f"DROP TABLE IF EXISTS {self._target.ddl(name)} SYNC" for name in names]

    def reset_sql(self) -> list[str]:
        """Empty the patch before a day (on a cluster, the Join tables are made again by publish_sql)."""
        t = self._target
        if not t.cluster:
            return [f"TRUNCATE TABLE {t.ddl(self.name)}"]
        return [f"DROP TABLE IF EXISTS {t.ddl(self.name)} SYNC", f"TRUNCATE TABLE {t.ddl(self.feed)}"]

    def publish_sql(self) -> list[str]:
        """After the rows are loaded: one server has them in the Join table already; a cluster waits until every
        node has the feed, then fills each node's Join table from it."""
        t = self._target
        if not t.cluster:
            return []
        return [f"SYSTEM SYNC REPLICA ON CLUSTER '{t.cluster}' {t.read(self.feed)}",
                self._join_sql("") + f" AS SELECT * FROM {t.read(self.feed)}"]

    def _columns(self) -> str:
        types = dict(self._store.query(
            f"SELECT name, type FROM system.columns WHERE database = {string(self._store.database)} "
            f"AND table = {string(self._data.name)}", read_only=False).rows)
        names = [field.name for field in msgspec.structs.fields(self._data.row)]
        return ", ".join([*(f"{name} {types[name]}" for name in names), "hit UInt8"])

    def __enter__(self) -> Patch:
        self.structure = self._columns()
        for sql in self.drop_sql() + self.create_sql():
            self._store.command(sql)
        return self

    def __exit__(self, *exc: object) -> None:
        for sql in self.drop_sql():
            self._store.command(sql)
