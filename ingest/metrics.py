"""Every Prometheus metric the collector exports, declared in one place, on a per-app registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from ingest.errors import REFUSALS

_BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Metric handles; built per app so tests and several apps in one process stay independent."""

    def __init__(self, rule_ids: tuple[str, ...] = ()) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "consentry_requests", "HTTP requests by route and status", ["route", "status"], registry=r
        )
        self.events_accepted = Counter("consentry_events_accepted", "Events acknowledged after commit", registry=r)
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
        for code in REFUSALS:  # export zeros so dashboards and alerts see every code from the start
            self.refusals.labels(code)
        for rule in rule_ids:
            self.redactions.labels(rule)
