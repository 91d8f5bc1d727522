"""The retention policy: how long each data class stays identifiable and how long it stays at all."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

import msgspec

Days = Annotated[int, msgspec.Meta(ge=1, le=36_500)]


class PolicyError(ValueError):
    """A policy value is inconsistent; ``key`` names the field (the settings layer adds its section)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class RetentionPolicy(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """How long each data class stays identifiable, and how long it stays at all: ages in whole UTC days (a row is
    processed once it is between N and N + 1 days old). A delete age must exceed its de-identify age, dumps must not
    outlive their rows, and events are de-identified no earlier than `limits.max_event_age_days`. The settings
    section `retention` is this struct, so the defaults live here once."""

    events_deidentify_days: Annotated[Days, msgspec.Meta(description=(
        "events lose their install and session ids, timestamps are cut to the hour (at least "
        "`limits.max_event_age_days`); also how long the per-install report rollup `rollup_install_weeks` "
        "is kept"))] = 30
    events_delete_days: Annotated[Days, msgspec.Meta(description=(
        "events are deleted (must exceed `events_deidentify_days`); also the `events` TTL"))] = 180
    crashes_deidentify_days: Annotated[Days, msgspec.Meta(description=(
        "crash rows lose the install id and `extra`, timestamps are cut to the hour"))] = 30
    crashes_delete_days: Annotated[Days, msgspec.Meta(description=(
        "crash rows are deleted (must exceed `crashes_deidentify_days`); also the `crashes` TTL"))] = 180
    objects_delete_days: Annotated[Days, msgspec.Meta(description=(
        "minidumps and attachments (objects under `crashes/YYYY/MM/DD/`) are deleted (at most "
        "`crashes_delete_days`)"))] = 30
    deletion_audit_days: Annotated[Days, msgspec.Meta(description=(
        "deletion-request audit records are kept this long (three years); the `deletion_audit` TTL"))] = 1095
    # The one per-install rollup (rollup_install_weeks) follows events_deidentify_days instead (storage/jobs/ttl.py).
    rollups_delete_days: Annotated[Days, msgspec.Meta(description=(
        "report rollups (daily counts and install sketches) are kept this long (25 months); the TTL of the "
        "`rollup_*` tables"))] = 761

    def check(self) -> None:
        """Raise PolicyError naming the first inconsistent field."""
        for data in ("events", "crashes"):
            deidentify, delete = getattr(self, f"{data}_deidentify_days"), getattr(self, f"{data}_delete_days")
            if delete <= deidentify:
                raise PolicyError(f"{data}_delete_days", f"{delete} must be greater than "
                                  f"{data}_deidentify_days ({deidentify}): rows are de-identified before deletion")
        if self.objects_delete_days > self.crashes_delete_days:
            raise PolicyError("objects_delete_days", f"{self.objects_delete_days} must not exceed "
                              f"crashes_delete_days ({self.crashes_delete_days}): a dump must not outlive its row")


def cutoff(now: datetime, days: int) -> date:
    """First day (UTC) still kept: whole days before it are entirely older than `days` days at `now`.

    Jobs work on whole day partitions, so a row is processed when it is between `days` and `days + 1` days old.
    """
    return (now - timedelta(days=days)).date()
