"""Prometheus metrics of the controller (its own registry, so tests and several controllers in one
process do not share counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from reconciler.status import ResourceStatus

SYNC_STATES = ("in-sync", "out-of-sync", "missing", "held", "error")
HEALTH_STATES = ("healthy", "progressing", "degraded", "missing", "unknown")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.passes = Counter("reconciler_passes", "Reconcile passes, by result", ["result"], registry=r)
        self.duration = Histogram("reconciler_pass_duration_seconds", "Duration of a reconcile pass", registry=r,
                                  buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
        self.errors = Counter("reconciler_errors", "Errors, by stage (load, plan, apply, rollout)", ["stage"],
                              registry=r)
        self.drifted = Gauge("reconciler_drifted_resources",
                             "Resources that differed from git at the start of the last pass", registry=r)
        self.corrections = Counter("reconciler_drift_corrections",
                                   "Changes applied to correct drift made outside git (found by resync)", registry=r)
        self.resources = Gauge("reconciler_resources", "Resources by sync and health status", ["sync", "health"],
                               registry=r)
        self.last_success = Gauge("reconciler_last_successful_pass_timestamp_seconds",
                                  "Unix time of the last pass that ended without errors", registry=r)
        self.ready = Gauge("reconciler_ready", "1 once the first pass is done", registry=r)
        self.notifications = Counter("reconciler_notifications",
                                     "Notification deliveries, by sink (webhook, slack, github) and result "
                                     "(delivered, retried, failed, dropped)", ["sink", "result"], registry=r)
        self.notifications_queued = Gauge("reconciler_notifications_queued",
                                          "Notifications waiting to be delivered", registry=r)
        self.ui_syncs = Counter("reconciler_ui_sync_requests", "Passes requested with the page's Sync now button",
                                registry=r)

    def record_statuses(self, rows: list[ResourceStatus]) -> None:
        counts = {(s, h): 0 for s in SYNC_STATES for h in HEALTH_STATES}
        for row in rows:
            counts[(row.sync, row.health)] = counts.get((row.sync, row.health), 0) + 1
        for (sync, health), n in counts.items():
            self.resources.labels(sync=sync, health=health).set(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
