"""Prometheus metrics, one registry per application (tests build many)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events_ingested = Counter(
            "leadstreams_events_ingested",
            "Events stored (duplicates not counted)",
            registry=self.registry,
        )
        self.matches_created = Counter(
            "leadstreams_matches_created", "Matches made", ["origin"], registry=self.registry
        )
        self.leads_created = Counter(
            "leadstreams_leads_created", "Leads created", registry=self.registry
        )
        self.job_seconds = Histogram(
            "leadstreams_job_duration_seconds",
            "Background job durations",
            ["kind"],
            registry=self.registry,
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200),
        )
