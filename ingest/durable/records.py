"""Spool record framing: magic, length, CRC32, payload. Torn and corrupt records are detectable."""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator
from datetime import date, datetime

import msgspec

from storage.rows import CrashRow, EventRow, encode_event_lines

MAGIC = b"CSR1"
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_HEADER = struct.Struct("<4sII")  # magic, payload length, crc32(payload)
HEADER_SIZE = _HEADER.size
MAX_PAYLOAD = 256 << 20  # a length above this is corruption, not data


class SpoolBatch(msgspec.Struct, frozen=True, tag="events", array_like=True):
    """One accepted request's rows, encoded as they will be inserted (storage.rows.encode_event_lines)."""

    install_id: uuid.UUID  # one install per request: what a deletion request matches records on
    count: int
    lines: bytes
    # When the worker accepted it (epoch s): a consent denial recorded meanwhile on another worker catches it.
    # Last and defaulted so records spooled by an older version still decode (0 = before any denial).
    accepted_at: float = 0.0
    # The earliest event day (days since 1970-01-01): which trailing-window report days the writer must
    # recompute once these rows are in (storage/trailing.py). 0 = unknown (an older record): the whole window.
    oldest_day: int = 0

    @classmethod
    def of(cls, install_id: uuid.UUID, rows: list[EventRow], accepted_at: float = 0.0) -> SpoolBatch:
        oldest = min(row.ts for row in rows).date().toordinal() - EPOCH_ORDINAL if rows else 0
        return cls(install_id, len(rows), encode_event_lines(rows), accepted_at, oldest)


class SpoolCrash(msgspec.Struct, frozen=True, tag="crash", array_like=True):
    """One accepted crash report; its dump and attachments are already in the object store."""

    row: CrashRow


class SpoolDeletion(msgspec.Struct, frozen=True, tag="deletion", array_like=True):
    """A deletion request: made durable like data, so it is ordered with the records it must catch."""

    request_id: uuid.UUID
    install_id: uuid.UUID
    reason: str
    requested_at: datetime


class SpoolConsent(msgspec.Struct, frozen=True, tag="consent", array_like=True):
    """A consent choice from PUT /v1/installs/{id}/consent, made durable before it is acknowledged."""

    change_id: uuid.UUID
    install_id: uuid.UUID
    choices: dict[str, str]  # scope -> granted | denied (only the scopes the request named)
    policy_version: str
    changed_at: datetime


SpoolPayload = SpoolBatch | SpoolCrash | SpoolDeletion | SpoolConsent
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(SpoolPayload)


def frame(payload: SpoolPayload) -> bytes:
    body = _encoder.encode(payload)
    return _HEADER.pack(MAGIC, len(body), zlib.crc32(body)) + body


class Record(msgspec.Struct, frozen=True):
    end: int  # offset just past this record: where a reader resumes
    payload: SpoolPayload


class Damage(msgspec.Struct, frozen=True):
    start: int
    end: int  # bytes [start, end) were skipped


Scan = Record | Damage


def scan(buf: bytes, base: int) -> tuple[list[Scan], int]:
    """Parse records from buf (read from file offset `base`); return them and the offset of the first byte not
    consumed. A partial record at the very end stays unconsumed (it may still be being written); anything that
    fails its checksum or cannot be decoded is reported as Damage and skipped up to the next valid record."""
    found: list[Scan] = []
    pos = 0
    while pos < len(buf):
        status, end, payload = _parse_at(buf, pos)
        if status == "ok":
            assert payload is not None
            found.append(Record(base + end, payload))
            pos = end
        elif status == "partial":
            break
        else:
            resume = _next_valid(buf, pos + 1)
            found.append(Damage(base + pos, base + resume))
            pos = resume
    return found, base + pos


def _parse_at(buf: bytes, pos: int) -> tuple[str, int, SpoolPayload | None]:
    if len(buf) - pos < HEADER_SIZE:
        return ("partial" if MAGIC.startswith(buf[pos:pos + 4]) else "bad"), pos, None
    magic, length, crc = _HEADER.unpack_from(buf, pos)
    if magic != MAGIC or length > MAX_PAYLOAD:
        return "bad", pos, None
    start, end = pos + HEADER_SIZE, pos + HEADER_SIZE + length
    if end > len(buf):
        return "partial", pos, None
    body = buf[start:end]
    if zlib.crc32(body) != crc:
        return "bad", pos, None
    try:
        return "ok", end, _decoder.decode(body)
    except msgspec.DecodeError:
        return "bad", pos, None


def _next_valid(buf: bytes, pos: int) -> int:
    """The offset of the next record that parses (or of a trailing partial one), else the end of buf."""
    while (pos := buf.find(MAGIC, pos)) != -1:
        if _parse_at(buf, pos)[0] in ("ok", "partial"):
            return pos
        pos += 1
    return len(buf)


def iter_records(found: list[Scan]) -> Iterator[Record]:
    return (item for item in found if isinstance(item, Record))
