"""Every Prometheus metric the collector exports, declared in one place, on a per-app registry."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, values

from ingest.errors import REFUSALS

_BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000)
_DELETION_SECONDS_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Metric handles; built per app so tests and several apps in one process stay independent."""

    def __init__(self, rule_ids: tuple[str, ...] = ()) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "consentry_requests", "HTTP requests by route and status", ["route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "consentry_request_seconds", "Time from a request's handler start to its answer (the ack latency of "
            "intake: decode, redact, spool fsync), by route", ["route"], buckets=_LATENCY_BUCKETS, registry=r,
        )
        self.events_accepted = Counter(
            "consentry_events_accepted", "Events acknowledged (after the spool fsync)", registry=r
        )
        self.refusals = Counter("consentry_refusals", "Refused requests by refusal code", ["code"], registry=r)
        self.batch_events = Histogram(
            "consentry_batch_events", "Events per accepted request", buckets=_BATCH_BUCKETS, registry=r
        )
        self.insert_rows = Histogram(
            "consentry_insert_rows", "Rows per grouped ClickHouse insert", buckets=_BATCH_BUCKETS, registry=r
        )
        self.insert_seconds = Histogram(
            "consentry_insert_seconds", "Latency of grouped ClickHouse inserts", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.redactions = Counter("consentry_redactions", "Redactions applied, by rule id", ["rule"], registry=r)
        self.deep_tier_skipped = Counter(
            "consentry_deep_tier_skipped", "Free-text crash values given the fast redaction tier only: their "
            "request had spent crash_limits.deep_chars_per_request", registry=r)
        self.crashes_accepted = Counter(
            "consentry_crashes_accepted", "Crash reports acknowledged, by upload format", ["source"], registry=r
        )
        self.spool_fsync_seconds = Histogram(
            "consentry_spool_fsync_seconds", "Latency of one group-commit write + fsync", buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.spool_records_per_fsync = Histogram(
            "consentry_spool_records_per_fsync", "Accepted requests made durable by one fsync", buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.spool_bytes = Gauge(
            "consentry_spool_bytes", "Bytes held in spool segments", multiprocess_mode="livemax", registry=r
        )
        self.spool_backlog_bytes = Gauge(
            "consentry_spool_backlog_bytes", "Spooled bytes not yet committed to storage",
            multiprocess_mode="livemax", registry=r,
        )
        self.spool_max_bytes = Gauge(
            "consentry_spool_max_bytes", "The configured spool cap (spool.max_bytes): intake refuses at it",
            multiprocess_mode="livemax", registry=r,
        )
        self.spool_full = Gauge(
            "consentry_spool_full", "1 while the spool is full or its disk nearly is: intake answers 503 "
            "spool_full and /readyz is unready (as last measured by any worker)",
            multiprocess_mode="livemostrecent", registry=r,
        )
        self.spool_oldest_unwritten = Gauge(
            "consentry_spool_oldest_unwritten_timestamp_seconds", "Unix time a worker accepted the oldest event "
            "batch the writer found still unwritten at its last pass; 0 when none was",
            multiprocess_mode="livemax", registry=r,
        )
        self.spool_damaged_records = Counter(
            "consentry_spool_damaged_records", "Torn or corrupt spool records skipped by the writer", registry=r
        )
        self.deletions_requested = Counter(
            "consentry_deletion_requests", "Deletion requests registered by the writer", registry=r
        )
        self.deletions_pending = Gauge(
            "consentry_deletion_requests_pending", "Deletion requests not completed yet",
            multiprocess_mode="livemax", registry=r,
        )
        self.deletion_oldest_pending_seconds = Gauge(
            "consentry_deletion_oldest_pending_seconds", "Age of the oldest pending deletion request (SLA watch)",
            multiprocess_mode="livemax", registry=r,
        )
        self.deletion_sla_seconds = Gauge(
            "consentry_deletion_sla_seconds", "The configured deletion SLA (alert: oldest pending above it)",
            multiprocess_mode="livemax", registry=r,
        )
        self.deletion_batch_seconds = Histogram(
            "consentry_deletion_batch_seconds", "Time to erase one batch of deletion requests (rows, objects, audit)",
            buckets=_DELETION_SECONDS_BUCKETS, registry=r,
        )
        self.deletion_batch_requests = Histogram(
            "consentry_deletion_batch_requests", "Deletion requests erased by one batch", buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.deletions_completed = Counter(
            "consentry_deletion_requests_completed", "Deletion requests completed (rows and objects erased)", registry=r
        )
        self.deletion_in_flight_rows = Counter(
            "consentry_deletion_in_flight_rows", "Spooled rows of deleted installs kept out of storage", registry=r
        )
        self.consent_changes = Counter(
            "consentry_consent_changes", "Consent choices recorded in the registry, by scope and state",
            ["scope", "state"], registry=r,
        )
        self.consent_refreshed = Gauge(
            "consentry_consent_registry_refresh_timestamp_seconds", "Unix time the writer last read the consent "
            "registry from storage and published the denials to the workers", multiprocess_mode="livemax",
            registry=r,
        )
        self.consent_dropped_rows = Counter(
            "consentry_consent_dropped_rows", "Spooled rows accepted after their install denied the scope, kept out "
            "of storage by the writer", ["scope"], registry=r,
        )
        self.sdk_items = Counter(
            "consentry_sdk_items", "Items received through SDK compatibility endpoints, by SDK and item type",
            ["sdk", "type"], registry=r,
        )
        self.sdk_dropped = Counter(
            "consentry_sdk_dropped", "Events or items a compatibility endpoint dropped while answering success (so "
            "the SDK does not retry), by SDK and reason", ["sdk", "reason"], registry=r,
        )
        self.writer_failures = Counter(
            "consentry_writer_failures", "Failed storage inserts (retried with backoff)", registry=r
        )
        self.job_runs = Counter("consentry_job_runs", "Job runs by outcome (ok, failed, busy)", ["job", "outcome"],
                                registry=r)
        self.job_last_success = Gauge(
            "consentry_job_last_success_timestamp_seconds", "Unix time of the last successful run of each job",
            ["job"], multiprocess_mode="max", registry=r,
        )
        self.job_rows = Counter("consentry_job_rows", "Rows affected by jobs, by job and table", ["job", "table"],
                                registry=r)
        self.job_objects = Counter("consentry_job_objects", "Objects deleted by jobs", ["job"], registry=r)
        for code in REFUSALS:  # export zeros so dashboards and alerts see every code from the start
            self.refusals.labels(code)
        for rule in rule_ids:
            self.redactions.labels(rule)

    def exposition_registry(self) -> CollectorRegistry:
        """What /metrics shows: this registry, or the sum over all processes when running multi-process."""
        directory = os.environ.get(MULTIPROC_ENV)
        if not directory:
            return self.registry
        merged = CollectorRegistry()
        # prometheus_client ships py.typed but leaves MultiProcessCollector.__init__ unannotated
        multiprocess.MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
        return merged


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess(directory: str) -> None:
    """Make every metric created from now on (in this process and its children) live in shared files.

    prometheus_client picks its value class from the environment at import time; we choose at run time
    instead, before any Metrics is built, so nothing depends on import order."""
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))
    os.environ[MULTIPROC_ENV] = directory
    # prometheus_client ships py.typed but leaves MultiProcessValue unannotated
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


def process_exited(pid: int) -> None:
    """Drop a dead worker's live gauges so they stop counting."""
    if os.environ.get(MULTIPROC_ENV):
        # prometheus_client ships py.typed but leaves mark_process_dead unannotated
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
