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
    """Ages in whole days. The settings section `retention` is this struct, so the defaults live here once."""

    events_deidentify_days: Days = 30
    events_delete_days: Days = 180
    crashes_deidentify_days: Days = 30
    crashes_delete_days: Days = 180
    objects_delete_days: Days = 30  # minidumps and attachments under crashes/YYYY/MM/DD/
    deletion_audit_days: Days = 1095  # deletion-request audit records: three years
    # Report rollups of counts and install sketches: 25 months. The one per-install rollup (rollup_install_weeks)
    # follows events_deidentify_days instead (storage/jobs/ttl.py).
    rollups_delete_days: Days = 761

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
