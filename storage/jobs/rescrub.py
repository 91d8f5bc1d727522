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
3. copy the day into the stage joined to the patch (new values where there is a patch row, the version raised
   for every row), and swap it in only if the partition did not change meanwhile (else retried, then left for
   the next run); the day is recorded in the ledger under `rescrub.v<version>.<table>`.

Kept as stored: ids, timestamps, the event name (validated, never redacted), and the crash fingerprint (a hash
with nothing personal in it, part of the sort key and of rollup_crashes_daily's grouping: recomputing it would
split a crash group between the rollup and the rows). Rollups (counts per day and per allowlisted enum-like prop
value) are filled at insert and are not rewritten.
"""

from __future__ import annotations

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
        with Staging(ctx.store, data.name, STAGE_SUFFIX) as stage, Patch(ctx.store, data.name) as patch:
            for partition in days:
                _rewrite(ctx, fix, data, partition, stage, patch, tally)
                done += 1
                ctx.progress(done, len(plan))
    rows = sum(tally.rows.values())
    seconds = time.monotonic() - started
    details: dict[str, object] = {
        "version": fix.version, "partitions": tally.partitions, "partitions_current": tally.current,
        "changed_under_us": tally.changed_under_us, "changed": tally.changed,
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
    replace = _replace(data, fix.version)
    for _ in range(ATTEMPTS):
        now = partition_of(store, data.name, before.day)
        if now is None:
            return  # dropped (expired) meanwhile: nothing left to re-scrub
        store.command(patch.truncate_sql())
        old, changed, objects = _patch(store, ctx.objects, fix, data, now, patch)
        store.command(stage.truncate_sql())
        store.command(stage.copy_patched_sql(now.partition_id, replace, patch.name, data.key))
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


def _replace(data: DataClass, version: int) -> str:
    """New values from the patch row where there is one; every row gets the version (never lowered)."""
    columns = [name for name in msgspec.structs.fields(data.row) if name.name not in (data.key, "attachment_keys")]
    picks = [f"if(p.hit, p.{c.name}, t.{c.name}) AS {c.name}" for c in columns]
    return ", ".join([*picks, f"greatest(t.redaction_version, {int(version)}) AS redaction_version"])


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
        for line in raw.splitlines():
            row = decoder.decode(line)
            old += 1
            if isinstance(row, StoredEvent):
                new: StoredEvent | StoredCrash | None = fix.event(row)
            else:
                new, objects_done = _crash(objects, fix, row)
                rewritten += objects_done
            if new is not None and new != row:
                changed += 1
                out += encoder.encode([*msgspec.structs.astuple(new), 1]) + b"\n"
        store.insert_lines(patch.name, patch.structure, LINES, bytes(out), WRITE_SETTINGS)
    if changed:
        store.command(patch.sync_sql())
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
    """`<table>_rescrub_patch`: the changed rows of the day being rewritten (id -> new values, hit = 1).

    Its columns take the table's own types (read from system.columns), so the copy's if(hit, new, old) needs no
    cast. On a cluster the copy runs on each shard against its local patch, so the patch is one replica set over
    every node (a Keeper path without {shard}), synced on every node before the copy."""

    def __init__(self, store: ClickHouseStore, table: str) -> None:
        self._store = store
        self._target = Target.of(store)
        self._table = table
        self._key = next(data.key for data in CLASSES if data.name == table)
        self._row = next(data.row for data in CLASSES if data.name == table)
        self.name = table + PATCH_SUFFIX
        self.structure = ""

    def _columns(self) -> str:
        types = dict(self._store.query(
            f"SELECT name, type FROM system.columns WHERE database = {string(self._store.database)} "
            f"AND table = {string(self._table)}", read_only=False).rows)
        names = [field.name for field in msgspec.structs.fields(self._row)]
        return ", ".join([*(f"{name} {types[name]}" for name in names), "hit UInt8"])

    def create_sql(self) -> str:
        t = self._target
        if not t.cluster:
            return f"CREATE TABLE {t.ddl(self.name)} ({self.structure}) ENGINE = MergeTree ORDER BY {self._key}"
        keeper = f"/clickhouse/tables/all/{t.database}/{self.name}"
        return (f"CREATE TABLE {t.ddl(self.name)} ({self.structure}) "
                f"ENGINE = ReplicatedMergeTree('{keeper}', '{{replica}}') ORDER BY {self._key}")

    def drop_sql(self) -> str:
        return f"DROP TABLE IF EXISTS {self._target.ddl(self.name)} SYNC"

    def truncate_sql(self) -> str:
        return f"TRUNCATE TABLE {self._target.ddl(self.name)}"

    def sync_sql(self) -> str:
        """Wait until every node has the patch rows (one server: nothing to wait for)."""
        t = self._target
        if not t.cluster:
            return "SELECT 1"
        return f"SYSTEM SYNC REPLICA ON CLUSTER '{t.cluster}' {t.read(self.name)}"

    def __enter__(self) -> Patch:
        self.structure = self._columns()
        self._store.command(self.drop_sql())
        self._store.command(self.create_sql())
        return self

    def __exit__(self, *exc: object) -> None:
        self._store.command(self.drop_sql())
