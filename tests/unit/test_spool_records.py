"""Spool record framing: round trip, torn tails, corruption skipped without losing what surrounds it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ingest.durable.records import HEADER_SIZE, Damage, Record, SpoolBatch, frame, scan
from storage.rows import NIL_UUID, EventRow

NOW = datetime.now(UTC)


def batch(n: int = 2) -> SpoolBatch:
    rows = [EventRow(uuid.uuid4(), uuid.uuid4(), NIL_UUID, "a.b", NOW, NOW, "app", "1", "linux", "", "", "",
                     {"k": "v"}, {"n": 1.0}, {"f": True}, {"email": 1}) for _ in range(n)]
    return SpoolBatch.of(rows[0].install_id, rows)


def test_round_trip() -> None:
    first, second = batch(), batch(3)
    data = frame(first) + frame(second)
    found, consumed = scan(data, 100)
    assert [type(f) for f in found] == [Record, Record]
    assert [r.payload for r in found if isinstance(r, Record)] == [first, second]
    assert consumed == 100 + len(data)
    assert found[0].end == 100 + len(frame(first))


def test_partial_tail_is_left_for_later() -> None:
    whole, torn = frame(batch()), frame(batch())
    for cut in (1, 3, HEADER_SIZE, len(torn) - 1):
        found, consumed = scan(whole + torn[:cut], 0)
        assert len(found) == 1 and consumed == len(whole), cut


def test_corrupt_record_is_skipped_and_the_next_one_kept() -> None:
    first, bad, last = frame(batch()), bytearray(frame(batch())), frame(batch(1))
    bad[HEADER_SIZE + 5] ^= 0xFF  # payload bit flip: checksum fails
    found, consumed = scan(first + bytes(bad) + last, 0)
    assert [type(f) for f in found] == [Record, Damage, Record]
    damage = found[1]
    assert isinstance(damage, Damage) and (damage.start, damage.end) == (len(first), len(first) + len(bad))
    assert consumed == len(first) + len(bad) + len(last)


def test_garbage_between_records() -> None:
    first, last = frame(batch()), frame(batch())
    found, _ = scan(first + b"\x00garbage CSR1 nope" + last, 0)
    assert [type(f) for f in found] == [Record, Damage, Record]
