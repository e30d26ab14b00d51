"""Time: the pace of a step, and running the steps that are due before an ECS request is answered.

Progress happens over wall-clock time in *steps* of ``step_seconds`` (``set_pace``; the default comes from
``RECONCILER_SANDBOX_STEP_SECONDS``, else 1.0). Nothing runs in the background: before an ECS request, the
account and region it addresses are advanced by floor(elapsed / step_seconds) steps, at most
``MAX_CATCH_UP_STEPS`` at once (beyond that the rest is dropped).
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow

from reconciler.sandbox.scheduler import agent
from reconciler.sandbox.scheduler.rollout import schedule_service
from reconciler.sandbox.scheduler.state import LOCK, RUNNING, STARTING, scheduled
from reconciler.sandbox.scheduler.tasks import advance_task, prune_stopped

__all__ = ["MAX_CATCH_UP_STEPS", "PACE_ENV", "advance", "get_pace", "pace_from_env", "set_pace"]

PACE_ENV = "RECONCILER_SANDBOX_STEP_SECONDS"
MAX_CATCH_UP_STEPS = 1000

_CLOCK = "_sandbox_clock"  # monotonic time of the last step boundary, on the ECS backend


def pace_from_env() -> float:
    raw = os.environ.get(PACE_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0 and math.isfinite(value):
            return value
    return 1.0


_step_seconds: float = pace_from_env()


def set_pace(seconds: float) -> None:
    """Set the duration of one scheduler step, process-wide (tests use e.g. 0.02)."""
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"step seconds must be a positive number, not {seconds!r}")
    global _step_seconds
    with LOCK:
        _step_seconds = float(seconds)


def get_pace() -> float:
    return _step_seconds


def _wall(moment: float, now: float, now_wall: datetime) -> datetime:
    return now_wall - timedelta(seconds=max(0.0, now - moment))


def advance(backend: Any) -> int:
    """Run the steps that are due for ``backend`` (one account and region). Returns how many ran."""
    with LOCK:
        now = time.monotonic()
        clock: float | None = getattr(backend, _CLOCK, None)
        if clock is None:
            setattr(backend, _CLOCK, now)
            return 0
        step = _step_seconds
        due = int((now - clock) // step)
        if due <= 0:
            return 0
        now_wall = utcnow()
        ran = 0
        for index in range(min(due, MAX_CATCH_UP_STEPS)):
            moment = clock + (index + 1) * step
            ran += 1
            if not _step(backend, _wall(moment, now, now_wall), moment):
                break  # nothing changed, so nothing will until the next request
        setattr(backend, _CLOCK, clock + due * step if due <= MAX_CATCH_UP_STEPS else now)
        return ran


def _step(backend: Any, at: datetime, moment: float) -> bool:
    """One scheduler step for every cluster of ``backend``. Returns whether anything changed."""
    changed = agent.step(backend, at, moment, _step_seconds)  # instances join and leave their clusters first
    for cluster_tasks in list(backend.tasks.values()):
        for task in list(cluster_tasks.values()):
            changed |= advance_task(backend, task, at, moment)
    for service in list(backend.services.values()):
        if service.status in ("ACTIVE", "DRAINING") and scheduled(service):
            changed |= schedule_service(backend, service, at)
    prune_stopped(backend, moment)
    _refresh_cluster_counts(backend)
    return changed


def _refresh_cluster_counts(backend: Any) -> None:
    for cluster in backend.clusters.values():
        tasks = list(backend.tasks.get(cluster.name, {}).values())
        cluster.running_tasks_count = sum(1 for t in tasks if t.last_status == RUNNING)
        cluster.pending_tasks_count = sum(1 for t in tasks if t.last_status in STARTING)
        cluster.active_services_count = sum(
            1 for s in backend.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE"
        )
