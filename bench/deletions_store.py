"""A store of N events for the deletion benches, built inside ClickHouse (INSERT ... SELECT FROM numbers(N)).

Installs are numbered 0 .. installs-1 and their ids are derived from the number (`install_uuid`), so a bench can
name installs that have rows without reading them back. Each install's events spread over the whole window of
`days` days (the worst case for skipping partitions); one crash per 100 events, each with a minidump key.
"""

from __future__ import annotations

import time
import uuid

from storage.clickhouse.client import ClickHouseStore

EVENTS_PER_INSTALL = 200  # issue 22: 10M events, 50k installs

_INSTALL = "toUUID(concat('00000000-0000-4000-8000-', leftPad(lower(hex(toUInt64({k}))), 12, '0')))"

EVENTS = """
INSERT INTO {db}.events (event_id, install_id, session_id, name, ts, received_at, app, app_version, os,
                         os_version, device_type, policy_version, props_str, props_num, props_bool, redactions)
SELECT generateUUIDv4(number), {install}, generateUUIDv4(number + 2),
       ['editor.opened', 'file.saved', 'app.started', 'search.run', 'settings.changed'][number % 5 + 1],
       now64(3) - toIntervalDay(1 + number % {days}) - toIntervalMillisecond(rand() % 86400000),
       now64(3) - toIntervalDay(1 + number % {days}),
       'interpreter', ['1.4.2', '1.5.0'][number % 2 + 1], ['macos', 'windows', 'linux'][number % 3 + 1], '15.1',
       'laptop', '2026-01-21', map('mode', 'split'), map('duration_ms', toFloat64(number % 5000)),
       map('ok', number % 7 != 0), map()
FROM numbers({offset}, {rows})
SETTINGS max_partitions_per_insert_block = 1000
"""

CRASHES = """
INSERT INTO {db}.crashes (crash_id, install_id, ts, received_at, source, app, app_version, os, os_version,
                          device_type, policy_version, fingerprint, exception_type, exception_message, minidump_key)
SELECT generateUUIDv4(number) AS id, {install},
       now64(3) - toIntervalDay(1 + number % {days}), now64(3) - toIntervalDay(1 + number % {days}),
       'native', 'interpreter', '1.5.0', 'linux', '6.1', 'laptop', '2026-01-21', toString(number % 97),
       'SIGSEGV', 'null pointer', concat('crashes/bench/', toString(id), '.dmp')
FROM numbers({rows})
SETTINGS max_partitions_per_insert_block = 1000
"""


def install_uuid(k: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{k:012x}")


def build(store: ClickHouseStore, rows: int, days: int = 30) -> int:
    """Fill events (and, through the materialized views, the rollups) and crashes; return the install count."""
    installs = max(1, rows // EVENTS_PER_INSTALL)
    db = store.database
    started = time.monotonic()
    chunk = 2_000_000  # one INSERT per chunk keeps the views' memory bounded
    for offset in range(0, rows, chunk):
        n = min(chunk, rows - offset)
        install = _INSTALL.format(k=f"intHash64(number + {offset}) % {installs}")
        store.command(EVENTS.format(db=db, install=install, days=days, offset=offset, rows=n))
    crashes = max(1, rows // 100)
    store.command(CRASHES.format(db=db, install=_INSTALL.format(k=f"intHash64(number) % {installs}"), days=days,
                                 rows=crashes))
    parts = store.query(f"SELECT count() FROM system.parts WHERE database = '{db}' AND table = 'events' "
                        "AND active").rows[0][0]
    print(f"built {rows:,} events, {crashes:,} crashes, {installs:,} installs over {days} days in "
          f"{time.monotonic() - started:.1f} s ({parts} active parts in events)", flush=True)
    return installs
