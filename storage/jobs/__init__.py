"""Retention and maintenance jobs: the job interface, the explicit job table, the ClickHouse lock, status."""

from storage.jobs.base import JobContext, JobResult
from storage.jobs.lock import JobBusy, LockOptions
from storage.jobs.policy import PolicyError, RetentionPolicy
from storage.jobs.registry import JOBS, ORDER, STATUS_HOOKS, ordered_jobs, run_job
from storage.jobs.status import JobStatus, job_status

__all__ = [
    "JOBS", "ORDER", "STATUS_HOOKS", "JobBusy", "JobContext", "JobResult", "JobStatus", "LockOptions", "PolicyError",
    "RetentionPolicy", "job_status", "ordered_jobs", "run_job",
]
