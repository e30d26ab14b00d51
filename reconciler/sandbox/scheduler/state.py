"""The scheduler's state, kept on moto's own objects, and the small questions every part asks of it.

Task and service state lives in private attributes of moto's ``Task`` and ``Service`` objects (no counterpart
in the API's output shapes, so moto never serialises them). One process-wide lock serialises ECS requests
and the simulation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.moto_api._internal import mock_random

__all__ = [
    "LOCK",
    "PENDING",
    "PROVISIONING",
    "RUNNING",
    "STARTING",
    "STOPPED",
    "DeploymentSim",
    "ServiceSim",
    "TaskSim",
    "deployment",
    "event",
    "live",
    "primary",
    "scheduled",
    "service_sim",
    "sim",
    "sim_deployment",
    "task_definition",
    "wanted",
]

PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
RUNNING = "RUNNING"
STOPPED = "STOPPED"
STARTING = (PROVISIONING, PENDING)

LOCK = threading.RLock()

_TASK = "_sandbox_task"  # TaskSim on moto Task objects
_SERVICE = "_sandbox_service"  # ServiceSim on moto Service objects


@dataclass
class TaskSim:
    service: Any | None  # the moto Service for service tasks
    deployment_id: str | None
    crash: str | None  # why the task will fail to start, or None
    run_steps: int  # standalone tasks: steps spent RUNNING before the essential container exits
    exit_codes: dict[str, int]
    steps_running: int = 0
    stop_code: str | None = None
    stop_reason: str | None = None
    instance_id: str | None = None  # container instance whose resources the task holds
    eni_id: str | None = None
    stopped_monotonic: float | None = None


@dataclass
class DeploymentSim:
    warned_unstable: bool = False


@dataclass
class ServiceSim:
    deployments: dict[str, DeploymentSim] = field(default_factory=dict)
    last_completed: tuple[str, str] | None = None  # (deployment id, task definition ARN)
    steady: bool = False
    placement_warned: bool = False
    config_warned: bool = False
    next_instance: int = 0


def sim(task: Any) -> TaskSim | None:
    found: TaskSim | None = getattr(task, _TASK, None)
    return found


def set_sim(task: Any, state: TaskSim) -> None:
    setattr(task, _TASK, state)


def service_sim(service: Any) -> ServiceSim:
    found: ServiceSim | None = getattr(service, _SERVICE, None)
    if found is None:
        found = ServiceSim()
        setattr(service, _SERVICE, found)
    return found


def scheduled(service: Any) -> bool:
    """Whether the scheduler runs this service (not for CODE_DEPLOY or EXTERNAL deployment controllers)."""
    return getattr(service, _SERVICE, None) is not None


def unschedule(service: Any) -> None:
    setattr(service, _SERVICE, None)


def sim_deployment(task: Any) -> str | None:
    state = sim(task)
    return state.deployment_id if state is not None else None


def live(task: Any) -> bool:
    return bool(task.last_status != STOPPED)


def wanted(task: Any) -> bool:
    """Live and not being stopped."""
    return bool(task.last_status != STOPPED and task.desired_status == RUNNING)


def task_definition(backend: Any, arn: str) -> Any:
    family, _, revision = arn.split("/")[-1].rpartition(":")
    try:
        return backend.task_definitions[family][int(revision)]
    except (KeyError, ValueError):
        return None


def deployment(service: Any, deployment_id: str) -> dict[str, Any] | None:
    for candidate in service.deployments:
        if candidate.get("id") == deployment_id:
            found: dict[str, Any] = candidate
            return found
    return None


def primary(service: Any) -> dict[str, Any] | None:
    for candidate in service.deployments:
        if candidate.get("status") == "PRIMARY":
            found: dict[str, Any] = candidate
            return found
    return None


def event(service: Any, at: datetime, message: str) -> None:
    """A service event, newest first, at most 100 kept (as DescribeServices reports them)."""
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": at, "message": message})
    del service.events[100:]
