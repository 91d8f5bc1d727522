"""The writer's insert path: spooled lines go into `events` through file() with plain-string parsing."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from storage.clickhouse.client import ClickHouseStore
from storage.rows import EVENT_COLUMNS, EVENT_LINES_STRUCTURE, EventRow, encode_event_lines


def test_the_lines_structure_is_the_table_with_plain_strings(db: ClickHouseStore) -> None:
    table = db.query(f"SELECT name, type FROM system.columns WHERE database = '{db.database}' "
                     "AND table = 'events' ORDER BY position").rows
    plain = [(name, re.sub(r"LowCardinality\((String)\)", r"\1", kind)) for name, kind in table]
    declared = [tuple(part.split(" ", 1)) for part in re.split(r", (?=[a-z_]+ )", EVENT_LINES_STRUCTURE)]
    assert plain == declared
    assert tuple(name for name, _ in declared) == EVENT_COLUMNS


def test_spooled_lines_read_back_as_written(db: ClickHouseStore) -> None:
    assert db.embedded  # the tests' chDB client: the file() path
    now = datetime(2026, 11, 23, 12, 30, 15, 123000, tzinfo=UTC)
    rows = [EventRow(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), f"app.e{i}", now, now, "app", "1.2.3", "linux",
                     "6.8", "desktop", "p1", {"mode": "it's \\ split"}, {"n": 1.5 * i}, {"ok": i % 2 == 0},
                     {"email": i})
            for i in range(3)]
    db.insert_event_lines(encode_event_lines(rows))
    stored = db.query(f"SELECT {', '.join(EVENT_COLUMNS)} FROM {db.database}.events ORDER BY name").rows
    assert [(r[0], r[3], r[4], r[12], r[13], r[14], r[15]) for r in stored] == [
        (row.event_id, row.name, now.replace(tzinfo=None), row.props_str, row.props_num, row.props_bool,
         row.redactions) for row in rows]
    # The rollup views see rows inserted this way like any other.
    assert db.query(f"SELECT countMerge(events) FROM {db.database}.rollup_events_daily").rows == [[3]]
