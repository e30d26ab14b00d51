"""Classify a service's rollout from one DescribeServices answer. Pure: no AWS, no clock.

Keys on the deployments (PRIMARY vs ACTIVE, rolloutState, failedTasks) and on which task definition
the PRIMARY deployment runs, not on counting tasks, so a circuit-breaker rollback that leaves the
service "stable" on the old revision is seen as the failure it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    PROGRESSING = "progressing"
    COMPLETED = "completed"
    FAILED = "failed"  # the desired deployment failed; nothing is rolling back (yet)
    ROLLING_BACK = "rolling-back"  # ECS is rolling back to an earlier deployment
    ROLLED_BACK = "rolled-back"  # ECS finished rolling back: the service is stable on another revision


@dataclass(frozen=True)
class RolloutStatus:
    phase: Phase
    running: int
    desired: int
    pending: int
    task_definition: str  # what the PRIMARY deployment runs
    reason: str = ""
    failed_tasks: int = 0

    @property
    def revision(self) -> str:
        return short_revision(self.task_definition)


def short_revision(arn: str) -> str:
    """`family:revision` from a task definition ARN."""
    return arn.rsplit("/", 1)[-1]


def failure_threshold(desired: int) -> int:
    """ECS's circuit-breaker threshold: half the desired count, at least 3, at most 200."""
    return max(3, min(200, math.ceil(desired * 0.5)))


def _primary(deployments: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    for deployment in deployments:
        if deployment.get("status") == "PRIMARY":
            return deployment
    return deployments[0] if deployments else {}


def observe(service: Mapping[str, Any], desired_task_definition: str | None) -> RolloutStatus:
    """Where the rollout of `desired_task_definition` (None: whatever is PRIMARY) stands."""
    deployments: list[Mapping[str, Any]] = list(service.get("deployments") or [])
    primary = _primary(deployments)
    desired = int(service.get("desiredCount", primary.get("desiredCount", 0)) or 0)
    running = int(primary.get("runningCount", service.get("runningCount", 0)) or 0)
    pending = int(primary.get("pendingCount", service.get("pendingCount", 0)) or 0)
    current = str(primary.get("taskDefinition") or service.get("taskDefinition") or "")
    failed = int(primary.get("failedTasks", 0) or 0)

    def status(phase: Phase, reason: str = "") -> RolloutStatus:
        return RolloutStatus(phase, running, desired, pending, current, reason, failed)

    state = service.get("status", "ACTIVE")
    if state != "ACTIVE":
        return status(Phase.FAILED, f"the service is {state}")
    single = len(deployments) <= 1
    settled = single and running == desired and primary.get("rolloutState", "COMPLETED") == "COMPLETED"
    if desired_task_definition and current != desired_task_definition:
        # ECS moved the PRIMARY away from the revision we asked for: a circuit-breaker rollback.
        ours = [d for d in deployments if d.get("taskDefinition") == desired_task_definition]
        reason = next((str(d.get("rolloutStateReason", "")) for d in ours if d.get("rolloutStateReason")), "")
        reason = reason or f"ECS replaced {short_revision(desired_task_definition)} with {short_revision(current)}"
        return status(Phase.ROLLED_BACK if settled else Phase.ROLLING_BACK, reason)
    if primary.get("rolloutState") == "FAILED":
        return status(Phase.FAILED, str(primary.get("rolloutStateReason") or "the deployment failed"))
    breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    if not breaker.get("enable") and failed >= failure_threshold(desired) and running < desired:
        # Without a circuit breaker ECS retries forever; we stop at the breaker's threshold.
        return status(Phase.FAILED, f"{failed} tasks failed to start")
    if settled:
        return status(Phase.COMPLETED)
    return status(Phase.PROGRESSING, str(primary.get("rolloutStateReason") or ""))
