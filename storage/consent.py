"""The consent registry in ClickHouse: record choices (keyed hash only) and read back who currently denies what."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from storage.clickhouse.client import ClickHouseStore, string

SCOPES = ("telemetry", "crash_report")
STATES = ("granted", "denied")


class ConsentChange(msgspec.Struct, frozen=True):
    change_id: uuid.UUID
    install_hash: str
    scope: str
    state: str
    policy_version: str
    changed_at: datetime


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def record(store: ClickHouseStore, changes: Sequence[ConsentChange]) -> None:
    """Append the choices. Replaying a spool record inserts the same change_id again: the table collapses it."""
    if not changes:
        return
    values = ", ".join(
        f"({string(str(c.change_id))}, {string(c.install_hash)}, {string(c.scope)}, {string(c.state)}, "
        f"{string(c.policy_version)}, fromUnixTimestamp64Milli({_ms(c.changed_at)}))" for c in changes)
    store.command(f"INSERT INTO {store.database}.consent_changes "
                  f"(change_id, install_hash, scope, state, policy_version, changed_at) VALUES {values}")


def current_denials(store: ClickHouseStore) -> dict[str, dict[str, float]]:
    """scope -> {install hash: since (epoch s)} for every install whose latest choice for that scope is denied."""
    result = store.query(
        f"SELECT scope, install_hash, toUnixTimestamp64Milli(max(changed_at)) AS at "
        f"FROM {store.database}.consent_changes FINAL GROUP BY scope, install_hash "
        f"HAVING argMax(state, (changed_at, change_id)) = 'denied'")
    denials: dict[str, dict[str, float]] = {scope: {} for scope in SCOPES}
    for scope, digest, at in result.rows:
        denials.setdefault(scope, {})[digest] = int(at) / 1000
    return denials


def current_choices(store: ClickHouseStore, digest: str) -> dict[str, tuple[str, str, datetime]]:
    """scope -> (state, policy_version, changed_at) of one install's latest choices."""
    result = store.query(
        f"SELECT scope, argMax(state, (changed_at, change_id)), argMax(policy_version, (changed_at, change_id)), "
        f"max(changed_at) FROM {store.database}.consent_changes FINAL WHERE install_hash = {string(digest)} "
        f"GROUP BY scope")
    return {scope: (state, version, at if at.tzinfo else at.replace(tzinfo=UTC))
            for scope, state, version, at in result.rows}
