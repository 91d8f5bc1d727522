"""The re-scrub job on the real chDB engine and a real object store: rows stored under an older redaction version
are rewritten with the current rules, day by day, through the de-identify machinery (stage, optimistic swap,
ledger)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient
from support import crash_form, drain, make_batch

from ingest import cli
from ingest.settings import Settings
from ingest.stages.rescrub import Reredaction
from ingest.stores import open_objects
from redact import Redactor
from redact.version import REDACTION_VERSION
from storage.clickhouse.client import ClickHouseStore
from storage.clickhouse.migrate import migrate
from storage.jobs import JobContext, LockOptions, RetentionPolicy, job_status, run_job
from storage.jobs.rescrub import VERSION_METADATA, StoredCrash, StoredEvent
from storage.objects import ObjectStore, open_object_store
from storage.rows import CrashRow, EventRow, FrameRow, encode_event_lines

FAST = LockOptions(settle_s=0.0)
NOW = datetime.now(UTC).replace(microsecond=0)
DAYS = [NOW - timedelta(days=d) for d in (3, 2, 1)]
LEAK = "/home/alice/notes/plan.md"  # the current rules keep "~/notes/[file].md": no "alice" left
OLD = 0  # stored before versioning


def event(ts: datetime, version: int, path: str = LEAK, name: str = "file.opened") -> EventRow:
    return EventRow(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), name, ts, ts, "editor", "1.4.2", "linux", "6.8",
                    "laptop", "2026-11", {"mode": "split", "path": path}, {"ms": 42.0}, {"ok": True},
                    {"email": 1}, version)


def crash(ts: datetime, version: int, attachments: list[str] = ()) -> CrashRow:  # type: ignore[assignment]
    return CrashRow(uuid.uuid4(), uuid.uuid4(), ts, ts, "native", "editor", "1.4.2", "linux", "6.8", "laptop",
                    "2026-11", "f" * 32, "FileNotFoundError", f"cannot open {LEAK}",
                    [FrameRow("app.io", "open_note", "/home/alice/src/app/io.py", 12, True)],
                    [f"opened {LEAK}"], {"last_file": LEAK}, "", 0, "", False, "", None, "", "", "", [],
                    list(attachments), [10] * len(attachments), {"path.home": 1}, version)


@pytest.fixture
def objects(tmp_path: Path) -> Iterator[ObjectStore]:
    with open_object_store(f"file://{tmp_path / 'objects'}", tmp_path) as store:
        yield store


@pytest.fixture(scope="module")
def current() -> Reredaction:
    return Reredaction(Redactor())


def context(store: ClickHouseStore, objects: ObjectStore, reredactor: Any) -> JobContext:
    return JobContext(store, objects, RetentionPolicy(), lambda: NOW, lambda done, total: None, b"", reredactor)


def events(store: ClickHouseStore) -> dict[uuid.UUID, list[Any]]:
    sql = (f"SELECT event_id, props_str, redactions, redaction_version, props_num, props_bool, install_id, ts "
           f"FROM {store.database}.events")
    return {row[0]: row[1:] for row in store.query(sql, read_only=False).rows}


def per_day(store: ClickHouseStore, table: str) -> list[list[Any]]:
    return store.query(f"SELECT toDate(ts), count() FROM {store.database}.{table} GROUP BY ALL ORDER BY ALL",
                       read_only=False).rows


def everything(store: ClickHouseStore, table: str) -> str:
    return str(store.query(f"SELECT * FROM {store.database}.{table}", read_only=False).rows)


async def test_the_pipeline_stamps_rows_and_attachments_with_the_version(client: TestClient, store: ClickHouseStore,
                                                                         settings: Settings) -> None:
    async with client.post("/v1/events", json=make_batch(2)) as response:
        assert response.status == 202
    async with client.post("/v1/crashes", data=crash_form(attachment=f"log {LEAK}".encode())) as response:
        assert response.status == 202, await response.text()
    await drain(client)
    for table in ("events", "crashes"):
        versions = store.query(f"SELECT DISTINCT redaction_version FROM {store.database}.{table}").rows
        assert versions == [[REDACTION_VERSION]], table
    ((keys,),) = store.query(f"SELECT attachment_keys FROM {store.database}.crashes").rows
    with open_objects(settings) as objects:
        assert objects.stat(keys[0]).metadata[VERSION_METADATA] == str(REDACTION_VERSION)


def test_old_rows_are_rewritten_clean_and_current_rows_are_left_alone(db: ClickHouseStore, objects: ObjectStore,
                                                                      current: Reredaction) -> None:
    old = [event(day + timedelta(minutes=m), OLD) for day in DAYS for m in range(5)]
    # A current row still holding the leak proves current rows are not re-read (the rules would change it).
    kept = event(DAYS[0], REDACTION_VERSION, path="/home/carol/kept.md")
    clean = event(DAYS[1], OLD, path="~/notes/[file].md")  # already clean: re-stamped, values untouched
    db.insert_events([*old, kept, clean])
    db.insert_crashes([crash(DAYS[2], OLD)])
    counts = per_day(db, "events")

    result = run_job("rescrub", context(db, objects, current), holder="test", lock=FAST)

    assert result.rows == {"events": len(old) + 1, "crashes": 1}
    assert result.details["changed"] == {"events": len(old), "crashes": 1}
    assert result.details["partitions"] == 4  # three days of events, one of crashes
    assert per_day(db, "events") == counts
    stored = events(db)
    for row in old:
        props, redactions, version, numbers, flags, install, ts = stored[row.event_id]
        assert props == {"mode": "split", "path": "~/notes/[file].md"}
        assert version == REDACTION_VERSION
        assert redactions == {"email": 1, "path.home": 1, "path.file": 1}  # the old count kept, the new added
        assert (numbers, flags, install) == ({"ms": 42.0}, {"ok": True}, row.install_id)
        assert ts == row.ts.replace(tzinfo=None)
    assert stored[kept.event_id][:3] == [{"mode": "split", "path": "/home/carol/kept.md"}, {"email": 1},
                                         REDACTION_VERSION]
    assert stored[clean.event_id][:3] == [{"mode": "split", "path": "~/notes/[file].md"}, {"email": 1},
                                          REDACTION_VERSION]
    assert "alice" not in everything(db, "events").replace(LEAK, "")  # nothing but what was never old
    assert "alice" not in everything(db, "crashes")
    (crash_row,) = db.query(f"SELECT exception_message, frames, breadcrumbs, extra, fingerprint, redaction_version "
                            f"FROM {db.database}.crashes", read_only=False).rows
    assert crash_row[0].startswith("cannot open ~/") and crash_row[4] == "f" * 32  # the group is kept
    assert crash_row[5] == REDACTION_VERSION

    again = run_job("rescrub", context(db, objects, current), holder="test", lock=FAST)
    assert again.rows == {"events": 0, "crashes": 0} and again.details["partitions"] == 0
    status = {entry.job: entry for entry in job_status(context(db, objects, current))}
    assert status["rescrub"].last_status == "ok" and status["rescrub"].rows == {"events": 0, "crashes": 0}


def test_a_day_changing_under_the_rewrite_is_retried_later(db: ClickHouseStore, objects: ObjectStore,
                                                           current: Reredaction) -> None:
    row = event(DAYS[0], OLD)
    db.insert_events([row])

    class Busy:
        """The current rules, while a late event lands in the same day at every read (a writer catching up)."""
        version = current.version

        def event(self, stored: StoredEvent) -> StoredEvent | None:
            db.insert_events([event(DAYS[0], REDACTION_VERSION, path="~/x")])
            return current.event(stored)

        def crash(self, stored: StoredCrash) -> StoredCrash | None:
            return current.crash(stored)

        def attachment(self, text: str) -> tuple[str, dict[str, int]]:
            return current.attachment(text)

    busy = run_job("rescrub", context(db, objects, Busy()), holder="test", lock=FAST)
    assert busy.details["changed_under_us"] == 1 and busy.rows["events"] == 0
    assert events(db)[row.event_id][0]["path"] == LEAK  # not swapped: the late rows would have been lost
    late = 3  # one per attempt
    assert per_day(db, "events")[0][1] == 1 + late

    later = run_job("rescrub", context(db, objects, current), holder="test", lock=FAST)
    assert later.rows["events"] == 1 and later.details["changed_under_us"] == 0
    assert events(db)[row.event_id][0]["path"] == "~/notes/[file].md"
    assert per_day(db, "events")[0][1] == 1 + late


def test_a_text_attachment_is_re_redacted_in_place(db: ClickHouseStore, objects: ObjectStore,
                                                   current: Reredaction) -> None:
    key = "crashes/2026/01/01/6f1c1d0e-0000-4000-8000-000000000001/attachment-0.txt"
    text = f"starting\nopened {LEAK} for bob@example.com\n".encode()
    objects.put(key, text, content_type="text/plain; charset=utf-8",
                metadata={"sha256": hashlib.sha256(text).hexdigest()})
    row = crash(DAYS[0], OLD, [key])
    db.insert_crashes([row])

    result = run_job("rescrub", context(db, objects, current), holder="test", lock=FAST)

    assert result.objects == 1
    clean = objects.get(key)
    assert b"alice" not in clean and b"bob@example.com" not in clean and clean.startswith(b"starting\n")
    meta = objects.stat(key).metadata
    assert meta[VERSION_METADATA] == str(REDACTION_VERSION) and meta["sha256"] == hashlib.sha256(clean).hexdigest()
    ((sizes, redactions),) = db.query(f"SELECT attachment_sizes, redactions FROM {db.database}.crashes",
                                      read_only=False).rows
    assert sizes == [len(clean)] and redactions.get("email", 0) >= 1
    # A retry (the row not swapped yet) does not redo an attachment that already carries the version.
    assert current.version == REDACTION_VERSION
    from storage.jobs.rescrub import _attachment
    assert _attachment(objects, current, key) is None


def test_without_the_rules_the_job_does_nothing_and_says_so(db: ClickHouseStore, objects: ObjectStore) -> None:
    db.insert_events([event(DAYS[0], OLD)])
    result = run_job("rescrub", context(db, objects, None), holder="test", lock=FAST)
    assert result.rows == {"events": 0, "crashes": 0} and "no re-redactor" in str(result.details["skipped"])


def test_cli_runs_the_rescrub_job(settings: Settings, store: ClickHouseStore, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(store)
    key = "crashes/2026/01/02/6f1c1d0e-0000-4000-8000-000000000002/attachment-0.txt"
    with open_objects(settings) as objects:
        objects.put(key, f"log {LEAK}".encode(), content_type="text/plain; charset=utf-8")
    rows = [event(day, OLD) for day in DAYS]
    store.insert_events(rows)
    store.insert_crashes([crash(DAYS[0], OLD, [key])])
    for name, value in {"CONSENTRY_DATA_DIR": settings.data_dir, "CONSENTRY_CLICKHOUSE_URL": settings.clickhouse.url,
                        "CONSENTRY_CLICKHOUSE_DATABASE": settings.clickhouse.database,
                        "CONSENTRY_JOBS_LOCK_SETTLE_MS": "0"}.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["jobs", "run", "rescrub"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("rescrub     ok      rows crashes=1 events=3  objects 1"), out
    assert "alice" not in everything(store, "events") + everything(store, "crashes")
    with open_objects(settings) as objects:
        assert b"alice" not in objects.get(key)
    assert cli.main(["jobs", "status", "--format", "json"]) == 0
    status = [msgspec.json.decode(line) for line in capsys.readouterr().out.splitlines()]
    (entry,) = [s for s in status if s["job"] == "rescrub"]
    assert entry["last_status"] == "ok" and entry["rows"] == {"crashes": 1, "events": 3}


def test_a_value_that_is_one_removal_token_is_final(current: Reredaction) -> None:
    """Re-running a content field over its own token would rewrite the token's length; the value is kept."""
    row = StoredEvent("e", "editor", "1.4.2", "linux", "6.8", "laptop", "2026-11",
                      {"title": "[content:22 chars]", "to": "[email]", "mode": "split"}, {"ms": 1.0}, {},
                      {"content": 1})
    assert current.event(row) is None
    leaky = msgspec.structs.replace(row, props_str={**row.props_str, "path": LEAK})
    new = current.event(leaky)
    assert new is not None and new.props_str["title"] == "[content:22 chars]" and new.props_str["to"] == "[email]"
    assert new.redactions == {"content": 1, "path.home": 1, "path.file": 1}


def test_lines_spooled_before_the_version_existed_still_insert_as_version_0(db: ClickHouseStore) -> None:
    """An upgrade finds spool segments whose lines have one column fewer: they insert, and are re-scrubbed later."""
    row = event(DAYS[0], REDACTION_VERSION)
    old_line = msgspec.json.encode(msgspec.structs.astuple(row)[:-1]) + b"\n"  # the 16 columns of before
    db.insert_event_lines(old_line + encode_event_lines([event(DAYS[0], REDACTION_VERSION)]))
    versions = db.query(f"SELECT redaction_version FROM {db.database}.events ORDER BY redaction_version",
                        read_only=False).rows
    assert versions == [[OLD], [REDACTION_VERSION]]
