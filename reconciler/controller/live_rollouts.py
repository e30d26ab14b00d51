"""Rollouts in progress, as the controller publishes them: a `Reporter` for the RolloutWatcher that keeps the
live counts of each rollout it polls (no AWS call of its own: it reads what the watcher already read) and
brings the service's status row up to date between passes, so that /status and the page show a service
turning from progressing to healthy (or failing) when it does, not at the next pass."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from reconciler import log
from reconciler.controller.state import ControllerState, iso
from reconciler.model.keys import ResourceKey
from reconciler.rollouts.observe import Phase, RolloutStatus, short_revision
from reconciler.rollouts.wait import RolloutResult, RolloutTarget

EVENTS_PER_ROW = 3  # as `reconciler status` shows them
HEALTH = {Phase.COMPLETED: "healthy", Phase.PROGRESSING: "progressing", Phase.ROLLING_BACK: "progressing",
          Phase.FAILED: "degraded", Phase.ROLLED_BACK: "degraded"}


@dataclass
class _Followed:
    target: RolloutTarget
    since: float
    status: RolloutStatus | None = None


class LiveRollouts:
    """The RolloutWatcher's reporter in the controller (and apply's, for rollouts waited for inside a pass)."""

    def __init__(self, state: ControllerState) -> None:
        self.state = state
        self.followed: dict[ResourceKey, _Followed] = {}

    # --- Reporter -------------------------------------------------------------------------------------
    def progress(self, target: RolloutTarget, status: RolloutStatus) -> None:
        followed = self.followed.get(target.key)
        if followed is None or followed.target != target:
            followed = self.followed[target.key] = _Followed(target, time.time())
        if followed.status == status:
            return
        followed.status = status
        self.publish()
        self._update_row(target.key, {"health": HEALTH[status.phase], "running": status.running,
                                      "desired": status.desired, "revision": status.revision}, status.reason)

    def event(self, target: RolloutTarget, message: str) -> None:
        text = log.redact(message)
        if not self.state.service_event(str(target.key), text, time.time()):
            return
        log.get().info("Service event", resource=str(target.key), message=text)
        rows = self.state.resources
        name = f"{target.key.kind.value}/{target.key.name}"
        self.state.resources = [
            {**row, "events": [text, *row.get("events", [])][:EVENTS_PER_ROW]} if _key(row) == name else row
            for row in rows]

    # --- the controller's calls -----------------------------------------------------------------------
    def follow(self, targets: list[RolloutTarget]) -> None:
        """Rollouts a pass started: listed at once, with the counts the pass read, until their first poll."""
        for target in targets:
            self.followed[target.key] = _Followed(target, time.time())
        if targets:
            self.publish()

    def settled(self, result: RolloutResult) -> None:
        """A rollout ended: its row says how (the next pass brings the whole row up to date)."""
        self.followed.pop(result.key, None)
        self.publish()
        health = "healthy" if result.ok else "degraded"
        changes: dict[str, Any] = {"health": health}
        if result.phase is Phase.ROLLED_BACK:
            changes["sync"] = "out-of-sync"  # it runs another revision than git says (held from the next pass)
        if result.task_definition:
            changes["revision"] = short_revision(result.task_definition)
        self._update_row(result.key, changes, result.message)

    def forget(self, keys: set[ResourceKey]) -> None:
        """Rollouts the watcher no longer follows (e.g. replaced by a newer apply) leave the list."""
        for key in list(self.followed):
            if key not in keys:
                del self.followed[key]
        self.publish()

    # --- publishing -----------------------------------------------------------------------------------
    def publish(self) -> None:
        masker = log.masker()
        rows = []
        for key, f in self.followed.items():
            s, t = f.status, f.target
            row: dict[str, Any] = {
                "resource": str(key), "cluster": t.cluster, "service": t.service, "since": iso(f.since),
                "wanted": short_revision(t.desired_task_definition) if t.desired_task_definition else None,
                "previous": short_revision(t.previous_task_definition) if t.previous_task_definition else None}
            if s is not None:
                row |= {"phase": s.phase.value, "revision": s.revision, "running": s.running, "desired": s.desired,
                        "pending": s.pending, "failedTasks": s.failed_tasks, "reason": s.reason}
            else:  # not polled yet: what the pass read
                seen = next((r for r in self.state.resources if _key(r) == f"{key.kind.value}/{key.name}"), {})
                row |= {"phase": "progressing", "running": seen.get("running"), "desired": seen.get("desired")}
            rows.append(masker.value({k: v for k, v in row.items() if v not in (None, "")}))
        self.state.rollouts = rows

    def _update_row(self, key: ResourceKey, changes: dict[str, Any], detail: str) -> None:
        name = f"{key.kind.value}/{key.name}"
        masked = log.masker().value({**changes, **({"detail": detail} if detail else {})})
        rows = self.state.resources
        self.state.resources = [{**row, **masked} if _key(row) == name else row for row in rows]


def _key(row: dict[str, Any]) -> str:
    return f"{row.get('kind')}/{row.get('name')}"
