"""Reading a rollout from DescribeServices: completed, progressing, failed, rolled back by ECS.
Inputs are AWS-shaped service descriptions (tests/fixtures/aws/services)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from reconciler.rollouts.observe import Phase, failure_threshold, observe

from .conftest import FIXTURES

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/api-fargate-secrets:"


def described(name: str = "fargate-deployment-in-progress") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "aws" / "services" / f"{name}.json").read_text())
    return data


def deployment(revision: int, status: str, running: int, state: str, failed: int = 0, reason: str = "",
               desired: int = 2) -> dict[str, Any]:
    return {"id": f"ecs-svc/{revision}", "status": status, "taskDefinition": f"{TD}{revision}",
            "desiredCount": desired, "runningCount": running, "pendingCount": 0, "failedTasks": failed,
            "rolloutState": state, "rolloutStateReason": reason}


def service(*deployments: dict[str, Any], breaker: bool = False, desired: int = 2) -> dict[str, Any]:
    s = described()
    s["deployments"] = list(deployments)
    s["desiredCount"] = desired
    s["taskDefinition"] = deployments[0]["taskDefinition"]
    s["deploymentConfiguration"] = {"deploymentCircuitBreaker": {"enable": breaker, "rollback": breaker},
                                    "maximumPercent": 200, "minimumHealthyPercent": 100}
    return s


def test_two_deployments_in_flight_is_progressing() -> None:
    """The real-AWS fixture: PRIMARY 1/2 running next to the old ACTIVE deployment."""
    status = observe(described(), TD + "42")
    assert status.phase is Phase.PROGRESSING and (status.running, status.desired) == (1, 2)


def test_single_completed_deployment_at_desired_count_is_completed() -> None:
    """One COMPLETED deployment running the desired revision with running == desired."""
    status = observe(service(deployment(3, "PRIMARY", 2, "COMPLETED")), TD + "3")
    assert status.phase is Phase.COMPLETED and status.revision == "api-fargate-secrets:3"


def test_completed_state_but_old_deployment_still_draining_is_progressing() -> None:
    """The old deployment still has tasks: not done yet."""
    s = service(deployment(3, "PRIMARY", 2, "COMPLETED"), deployment(2, "ACTIVE", 1, "COMPLETED"))
    assert observe(s, TD + "3").phase is Phase.PROGRESSING


def test_circuit_breaker_failure() -> None:
    """rolloutState FAILED on the PRIMARY: failed, with AWS's reason."""
    s = service(deployment(3, "PRIMARY", 0, "FAILED", failed=3,
                           reason="ECS deployment circuit breaker: tasks failed to start."), breaker=True)
    status = observe(s, TD + "3")
    assert status.phase is Phase.FAILED and "circuit breaker" in status.reason


def test_ecs_rollback_in_progress_then_done() -> None:
    """The breaker rolled back: PRIMARY runs the old revision. Stable on it is still a failure."""
    failed = deployment(3, "ACTIVE", 0, "FAILED", failed=3, reason="ECS deployment circuit breaker: tasks failed")
    rolling = service(deployment(2, "PRIMARY", 1, "IN_PROGRESS"), failed, breaker=True)
    assert observe(rolling, TD + "3").phase is Phase.ROLLING_BACK
    done = service(deployment(2, "PRIMARY", 2, "COMPLETED"), breaker=True)
    status = observe(done, TD + "3")
    assert status.phase is Phase.ROLLED_BACK and status.revision == "api-fargate-secrets:2"
    assert "replaced api-fargate-secrets:3 with api-fargate-secrets:2" in status.reason


@pytest.mark.parametrize(("desired", "threshold"), [(1, 3), (2, 3), (8, 4), (9, 5), (1000, 200)])
def test_failure_threshold_matches_the_circuit_breaker(desired: int, threshold: int) -> None:
    """Half the desired count, at least 3, at most 200 (AWS's circuit-breaker rule)."""
    assert failure_threshold(desired) == threshold


def test_without_breaker_failed_tasks_past_threshold_fail() -> None:
    """ECS retries forever without a breaker; three failed tasks and nothing running is a failure."""
    assert observe(service(deployment(3, "PRIMARY", 0, "IN_PROGRESS", failed=2)), TD + "3").phase is Phase.PROGRESSING
    status = observe(service(deployment(3, "PRIMARY", 0, "IN_PROGRESS", failed=3)), TD + "3")
    assert status.phase is Phase.FAILED and "3 tasks failed to start" in status.reason


def test_with_breaker_failed_tasks_are_left_to_ecs() -> None:
    """With the breaker on, ECS decides when the deployment fails."""
    s = service(deployment(3, "PRIMARY", 0, "IN_PROGRESS", failed=5), breaker=True)
    assert observe(s, TD + "3").phase is Phase.PROGRESSING


def test_draining_service_is_not_a_rollout() -> None:
    """A service being deleted fails the wait at once."""
    s = copy.deepcopy(service(deployment(3, "PRIMARY", 2, "COMPLETED")))
    s["status"] = "DRAINING"
    assert observe(s, TD + "3").phase is Phase.FAILED


def test_progress_bar_survives_rich_markup() -> None:
    """A full bar "[##########]" must not be swallowed as a rich markup tag."""
    from rich.console import Console

    from reconciler.model.keys import Kind, ResourceKey
    from reconciler.progress import RolloutProgress
    from reconciler.rollouts.observe import RolloutStatus
    from reconciler.rollouts.wait import RolloutTarget

    console = Console(record=True, width=120, force_terminal=False)
    progress = RolloutProgress(console)
    progress.rows["Service/c/web"] = RolloutStatus(Phase.COMPLETED, 2, 2, 0, TD + "3")
    console.print(progress._table())
    assert "[##########] 2/2" in console.export_text()
    target = RolloutTarget(ResourceKey(Kind.SERVICE, "c/web"), "c", "web", TD + "3")
    progress.progress(target, RolloutStatus(Phase.PROGRESSING, 1, 2, 1, TD + "3"))
    assert "1/2 running, 1 pending (progressing)" in console.export_text()
