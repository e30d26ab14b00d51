"""What the controller publishes: the state the loop last saw, read by the HTTP threads (/status, the page)
and nothing else. Values are replaced whole, never mutated in place, so a reader always sees a consistent
value without a lock. Everything in it is masked already (the loop publishes masked data only). Nothing
grows without bound: the activity keeps the last `ACTIVITY_KEPT` entries."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACTIVITY_KEPT = 50
SERVICE_EVENTS_KEPT = 50
REPEAT_SECONDS = 60.0  # the same service event again within this time is not listed twice


@dataclass
class ControllerState:
    """What the loop last saw, shared with the HTTP threads (replace values whole; never mutate in place)."""

    started: float = field(default_factory=time.time)
    heartbeat: float = field(default_factory=time.monotonic)
    ready: bool = False
    source: str = ""
    revision: str | None = None
    last_pass: dict[str, Any] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    # Rollouts being followed right now, with the live counts of their last poll.
    rollouts: list[dict[str, Any]] = field(default_factory=list)
    # What happened lately, newest first: the events notifications carry.
    activity: list[dict[str, Any]] = field(default_factory=list)
    # ECS service events seen while following rollouts, newest first.
    service_events: list[dict[str, Any]] = field(default_factory=list)
    suspended: bool = False
    shards: list[str] | None = None
    pass_running: bool = False
    sync_requested: bool = False  # a "sync now" is waiting for the loop
    stale_after: float = 600.0  # /healthz fails when the loop has not beaten for this long

    def status(self) -> dict[str, Any]:
        return {"source": self.source, "revision": self.revision, "ready": self.ready, "suspended": self.suspended,
                "shards": self.shards, "passRunning": self.pass_running, "lastPass": self.last_pass,
                "rollouts": self.rollouts, "resources": self.resources, "activity": self.activity,
                "serviceEvents": self.service_events}

    def record(self, entries: list[dict[str, Any]]) -> None:
        """Put entries (newest last) at the top of the activity, keeping the last ACTIVITY_KEPT."""
        if entries:
            self.activity = [*reversed(entries), *self.activity][:ACTIVITY_KEPT]

    def service_event(self, resource: str, message: str, now: float) -> bool:
        """Record a service event (False when the same one was recorded within REPEAT_SECONDS: a rollout
        followed anew reports the events of the last seconds again)."""
        for seen in self.service_events:
            if now - float(seen["at"]) > REPEAT_SECONDS:
                break
            if seen["resource"] == resource and seen["message"] == message:
                return False
        entry = {"time": iso(now), "at": round(now, 3), "resource": resource, "message": message}
        self.service_events = [entry, *self.service_events][:SERVICE_EVENTS_KEPT]
        return True


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
