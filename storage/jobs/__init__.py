"""Retention and maintenance jobs: the job interface, the ClickHouse lock, de-identify and expire."""

from storage.jobs import deidentify as _deidentify  # noqa: F401 - registers JOBS["deidentify"]
from storage.jobs import expire as _expire  # noqa: F401 - registers JOBS["expire"]
from storage.jobs import reconcile as _reconcile  # noqa: F401 - registers JOBS["reconcile"]
from storage.jobs.base import JOBS, ORDER, STATUS_HOOKS, JobContext, JobResult, ordered_jobs, run_job
from storage.jobs.lock import JobBusy, LockOptions
from storage.jobs.policy import PolicyError, RetentionPolicy
from storage.jobs.status import JobStatus, job_status

__all__ = [
    "JOBS", "ORDER", "STATUS_HOOKS", "JobBusy", "JobContext", "JobResult", "JobStatus", "LockOptions", "PolicyError",
    "RetentionPolicy", "job_status", "ordered_jobs", "run_job",
]
