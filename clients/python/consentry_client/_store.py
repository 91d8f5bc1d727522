"""The client's state on disk: one SQLite file in the app's data directory.

`state` holds the consent choice, the install id and what the app may read later (the last refusal, the
deletion receipt); `events` is the bounded queue of tracked events, oldest first; `outbox` holds consent changes,
deletion requests and accepted crash reports, sent in order before any event. `secure_delete` zeroes deleted rows
and the WAL is truncated after a purge, so a withdrawn queue leaves no readable trace in the file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS envelopes (
    id INTEGER PRIMARY KEY, install_id TEXT NOT NULL, context TEXT NOT NULL, UNIQUE (install_id, context));
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, envelope INTEGER NOT NULL, body TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, install_id TEXT NOT NULL, body TEXT NOT NULL,
    created REAL NOT NULL);
"""

EventRow = tuple[str, float]  # event JSON, created (epoch seconds)


class OutboxItem:
    __slots__ = ("seq", "kind", "install_id", "body")

    def __init__(self, seq: int, kind: str, install_id: str, body: str) -> None:
        self.seq, self.kind, self.install_id, self.body = seq, kind, install_id, body


class Store:
    def __init__(self, path: Path, max_events: int) -> None:
        self.path = path
        self.max_events = max_events
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA journal_size_limit=4194304")  # the WAL shrinks back after a burst
        self._db.executescript(_SCHEMA)
        self.queued = self._count()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    # state ------------------------------------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, **values: str | None) -> None:
        with self._lock, self._db:
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM state WHERE key = ?", (key,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    # events -----------------------------------------------------------------------------------------------------
    def _envelope(self, install_id: str, context: str) -> int:
        """The id of an (install id, context) pair: stored once, not with every event."""
        self._db.execute("INSERT OR IGNORE INTO envelopes (install_id, context) VALUES (?, ?)", (install_id, context))
        row = self._db.execute("SELECT id FROM envelopes WHERE install_id = ? AND context = ?",
                               (install_id, context)).fetchone()
        return int(row[0])

    def add_events(self, install_id: str, context: str, rows: Sequence[EventRow]) -> int:
        """Append; past the bound the oldest events go. Returns how many were dropped for room."""
        if not rows:
            return 0
        with self._lock, self._db:
            envelope = self._envelope(install_id, context)
            self._db.executemany("INSERT INTO events (envelope, body, created) VALUES (?, ?, ?)",
                                 [(envelope, body, created) for body, created in rows])
            self.queued += len(rows)
            over = self.queued - self.max_events
            if over > 0:
                self._db.execute("DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?)",
                                 (over,))
                self.queued = self._count()
                return over
        return 0

    def oldest_event(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT created FROM events ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else float(row[0])

    def next_batch(self, max_count: int, max_bytes: int) -> list[tuple[int, str, str, str]]:
        """The oldest events sharing one install id and context, within the count and byte budgets."""
        with self._lock:
            rows = self._db.execute("SELECT seq, install_id, context, body FROM events JOIN envelopes "
                                    "ON envelopes.id = events.envelope ORDER BY seq LIMIT ?", (max_count,)).fetchall()
        batch: list[tuple[int, str, str, str]] = []
        size = 0
        for seq, install_id, context, body in rows:
            if batch and (install_id != batch[0][1] or context != batch[0][2] or size + len(body) + 1 > max_bytes):
                break
            batch.append((seq, install_id, context, body))
            size += len(body) + 1
        return batch

    def delete_events(self, seqs: Iterable[int]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM events WHERE seq = ?", [(s,) for s in seqs])
            self.queued = self._count()

    def drop_events_before(self, created: float) -> int:
        with self._lock, self._db:
            dropped = self._db.execute("DELETE FROM events WHERE created < ?", (created,)).rowcount
            self.queued = self._count()
        return int(dropped)

    def drop_events(self) -> int:
        with self._lock, self._db:
            dropped = self._db.execute("DELETE FROM events").rowcount
            self._db.execute("DELETE FROM envelopes")
            self.queued = 0
        return int(dropped)

    # outbox -----------------------------------------------------------------------------------------------------
    def outbox_add(self, kind: str, install_id: str, body: str, created: float) -> int:
        with self._lock, self._db:
            cursor = self._db.execute("INSERT INTO outbox (kind, install_id, body, created) VALUES (?, ?, ?, ?)",
                                      (kind, install_id, body, created))
        return int(cursor.lastrowid or 0)

    def outbox_items(self) -> list[OutboxItem]:
        with self._lock:
            rows = self._db.execute("SELECT seq, kind, install_id, body FROM outbox ORDER BY seq").fetchall()
        return [OutboxItem(*row) for row in rows]

    def outbox_has(self, seq: int) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM outbox WHERE seq = ?", (seq,)).fetchone() is not None

    def outbox_drop_consent(self, install_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM outbox WHERE kind = 'consent' AND install_id = ?", (install_id,))

    def outbox_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def outbox_delete(self, seq: int) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def outbox_drop(self, kinds: Sequence[str]) -> int:
        with self._lock, self._db:
            marks = ",".join("?" * len(kinds))
            return int(self._db.execute(f"DELETE FROM outbox WHERE kind IN ({marks})", tuple(kinds)).rowcount)

    def purge(self) -> None:
        """After deleting what the user withdrew: fold the WAL back and truncate it, so no old page survives."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
