"""The job interface: what a job is given (JobContext) and what it answers (JobResult)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from storage.clickhouse.client import ClickHouseStore
from storage.jobs.policy import RetentionPolicy
from storage.objects import ObjectStore

if TYPE_CHECKING:  # rescrub imports this module
    from storage.jobs.rescrub import Reredactor


@dataclass(frozen=True)
class JobContext:
    store: ClickHouseStore
    objects: ObjectStore
    policy: RetentionPolicy
    now: Callable[[], datetime]  # aware UTC; tests inject a clock
    progress: Callable[[int, int], None]  # done, total (units are the job's: partitions, days, requests)
    hash_key: bytes = b""  # the keyed-hash secret for audit records (deletions); empty where no job needs it
    # The current redaction rules for the re-scrub job (built by ingest: storage does not import redact); None
    # where no job needs them (storage-only tools): the re-scrub job then does nothing and says so.
    reredactor: Reredactor | None = None


class JobResult(msgspec.Struct):
    job: str
    rows: dict[str, int]  # table -> rows affected
    objects: int
    details: dict[str, object] = {}


Job = Callable[[JobContext], JobResult]
