"""The service scheduler's step: start and stop tasks within the deployment configuration, fail a deployment
on the circuit breaker and roll back, complete it, and say so in ECS's event wording.

Each step the PRIMARY starts tasks and ACTIVE deployments (and tasks on DRAINING container instances) stop
theirs: running+pending stays <= floor(desired * maximumPercent / 100) and running >= ceil(desired *
minimumHealthyPercent / 100). When the PRIMARY runs desiredCount tasks and no other deployment has a task
left, the others are removed and the PRIMARY is COMPLETED.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend

from reconciler.sandbox.scheduler.deployments import deployment_config, refresh_counts, start_deployment
from reconciler.sandbox.scheduler.placement import draining_instance_ids, place, placement_reason, uses_fargate
from reconciler.sandbox.scheduler.state import (
    RUNNING,
    STARTING,
    STOPPED,
    DeploymentSim,
    ServiceSim,
    event,
    live,
    primary,
    service_sim,
    sim,
    sim_deployment,
    task_definition,
    wanted,
)
from reconciler.sandbox.scheduler.tasks import new_service_task, request_stop, service_tasks
from reconciler.sandbox.scheduler.wording import (
    MSG_COMPLETED,
    MSG_CONFIG_STUCK,
    MSG_FAILED,
    MSG_NO_PLACEMENT,
    MSG_ROLLING_BACK,
    MSG_STARTED,
    MSG_STEADY,
    MSG_STOPPED,
    MSG_UNSTABLE,
    ROLLOUT_CIRCUIT_BREAKER,
    ROLLOUT_COMPLETED,
    ROLLOUT_ROLLING_BACK,
    STOP_INSTANCE_DRAINING,
    STOP_SCALING,
)

__all__ = ["circuit_breaker_threshold", "schedule_service"]


def circuit_breaker_threshold(desired_count: int) -> int:
    """Failed tasks after which the circuit breaker fails a deployment: 0.5 x desired, within [3, 200]."""
    return max(3, min(200, math.ceil(0.5 * desired_count)))


def _task_list(tasks: Iterable[Any]) -> str:
    return " ".join(f"(task {t.id})" for t in tasks)


def schedule_service(backend: Any, service: Any, at: datetime) -> bool:
    """One scheduler step for one ACTIVE or DRAINING service. Returns whether anything changed."""
    state = service_sim(service)
    current = primary(service)
    if current is None:
        return False
    changed = False
    tasks = service_tasks(backend, service)
    draining = draining_instance_ids(backend, service.cluster_name)
    desired = 0 if service.status == "DRAINING" else int(service.desired_count or 0)
    primary_id = current["id"]
    maximum, minimum, breaker = deployment_config(service)

    def doomed(task: Any) -> bool:
        task_state = sim(task)
        return bool(task_state is not None and task_state.instance_id in draining)

    good = [t for t in tasks if wanted(t) and sim_deployment(t) == primary_id and not doomed(t)]
    old = [t for t in tasks if wanted(t) and t not in good]

    # Circuit breaker and the "unable to consistently start" warning.
    changed |= _check_failures(service, state, current, breaker, desired, at)
    current = primary(service) or current
    if current["id"] != primary_id:  # rolled back: the failed deployment's tasks are now old ones
        primary_id = current["id"]
        good, old = [], [t for t in tasks if wanted(t)]
    failed = current.get("rolloutState") == "FAILED"

    stopped: list[Any] = []
    # Pending tasks that are going away are stopped at once (old deployments, draining instances).
    for task in [t for t in old if t.last_status in STARTING]:
        request_stop(task, "ServiceSchedulerInitiated", _stop_reason(backend, task, draining, primary_id))
        stopped.append(task)
    old = [t for t in old if t not in stopped]

    # Scale in the primary when it has more than desired.
    if len(good) > desired:
        surplus = sorted(good, key=lambda t: (t.last_status == RUNNING, t.created_at))[: len(good) - desired]
        for task in surplus:
            request_stop(task, "ServiceSchedulerInitiated", STOP_SCALING.format(deployment=primary_id))
            stopped.append(task)
        good = [t for t in good if t not in surplus]

    # Start primary tasks, within maximumPercent (rounded down).
    max_total = math.floor(desired * maximum / 100)
    to_start = 0 if failed else max(0, min(desired - len(good), max_total - len(good) - len(old)))
    started = _start_tasks(backend, service, state, current, to_start, at) if to_start else []

    # Stop old tasks while at least minimumHealthyPercent (rounded up) stay running. A FAILED deployment
    # launches nothing, so the old tasks then stay.
    min_healthy = math.ceil(desired * minimum / 100)
    healthy = sum(1 for t in good + old if t.last_status == RUNNING)
    can_stop = 0 if failed else max(0, healthy - min_healthy)
    for task in old[:can_stop]:
        request_stop(task, "ServiceSchedulerInitiated", _stop_reason(backend, task, draining, primary_id))
        stopped.append(task)
    old = old[can_stop:]

    if started:
        event(service, at, MSG_STARTED.format(service=service.name, count=len(started), tasks=_task_list(started)))
    running_stopped = [t for t in stopped if t.started_at is not None]
    if running_stopped:
        event(service, at, MSG_STOPPED.format(
            service=service.name, count=len(running_stopped), tasks=_task_list(running_stopped)))
    changed |= bool(started) or bool(stopped)

    stuck = (
        not failed and to_start == 0 and not stopped and len(good) < desired and bool(old)
        and not any(t.last_status in STARTING for t in good)
        and not any(t.desired_status == STOPPED and live(t) for t in tasks)
    )
    if stuck and not state.config_warned:
        state.config_warned = True
        event(service, at, MSG_CONFIG_STUCK.format(service=service.name))
        changed = True

    current["desiredCount"] = desired
    refresh_counts(backend, service)
    if service.status == "ACTIVE":
        changed |= _check_completion(backend, service, state, current, desired, at)

    if service.status == "DRAINING" and not any(live(t) for t in service_tasks(backend, service)):
        service.status = "INACTIVE"
        service.running_count = 0
        service.pending_count = 0
        changed = True
    return changed


def _start_tasks(
    backend: Any, service: Any, state: ServiceSim, deployment: dict[str, Any], count: int, at: datetime
) -> list[Any]:
    cluster = backend.clusters.get(service.cluster_name)
    definition = task_definition(backend, str(deployment.get("taskDefinition") or ""))
    if cluster is None or definition is None:
        return []
    requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements(definition)
    fargate = uses_fargate(service)
    started = []
    for _ in range(count):
        instance = None if fargate else place(backend, service, state, requirements)
        if not fargate and instance is None:
            if not state.placement_warned:
                state.placement_warned = True
                event(service, at, MSG_NO_PLACEMENT.format(service=service.name, reason=placement_reason(
                    backend, service, requirements)))
            break
        state.placement_warned = False
        started.append(new_service_task(backend, cluster, service, definition, deployment, instance, requirements,
                                        at))
    return started


def _stop_reason(backend: Any, task: Any, draining: set[str], primary_id: str) -> str:
    task_state = sim(task)
    if task_state is not None and task_state.instance_id in draining:
        instance = backend.container_instances.get(task.cluster_name, {}).get(task_state.instance_id)
        name = instance.container_instance_arn if instance is not None else task_state.instance_id
        return STOP_INSTANCE_DRAINING.format(instance=name, deployment=primary_id)
    return STOP_SCALING.format(deployment=primary_id)


def _check_failures(
    service: Any, state: ServiceSim, current: dict[str, Any], breaker: dict[str, Any], desired: int, at: datetime,
) -> bool:
    failed_tasks = int(current.get("failedTasks") or 0)
    dep_state = state.deployments.setdefault(current["id"], DeploymentSim())
    changed = False
    if failed_tasks >= 3 and not dep_state.warned_unstable:
        dep_state.warned_unstable = True
        event(service, at, MSG_UNSTABLE.format(service=service.name))
        changed = True
    if (
        not breaker.get("enable")
        or current.get("rolloutState") != "IN_PROGRESS"
        or failed_tasks < circuit_breaker_threshold(desired)
    ):
        return changed
    current["rolloutState"] = "FAILED"
    current["rolloutStateReason"] = ROLLOUT_CIRCUIT_BREAKER
    current["updatedAt"] = at
    event(service, at, MSG_FAILED.format(service=service.name, deployment=current["id"]))
    if breaker.get("rollback") and state.last_completed is not None:
        completed_id, previous_definition = state.last_completed
        service.task_definition = previous_definition
        rollback = start_deployment(service, at)
        rollback["rolloutStateReason"] = ROLLOUT_ROLLING_BACK.format(deployment=completed_id)
        event(service, at, MSG_ROLLING_BACK.format(service=service.name, deployment=completed_id))
    return True


def _check_completion(
    backend: Any, service: Any, state: ServiceSim, current: dict[str, Any], desired: int, at: datetime
) -> bool:
    tasks = service_tasks(backend, service)
    others_live = any(live(t) and sim_deployment(t) != current["id"] for t in tasks)
    mine = [t for t in tasks if live(t) and sim_deployment(t) == current["id"]]
    settled = (
        not others_live
        and len(mine) == desired
        and all(t.last_status == RUNNING and t.desired_status == RUNNING for t in mine)
    )
    if not settled or current.get("rolloutState") == "FAILED":
        state.steady = state.steady and settled
        return False
    changed = False
    if len(service.deployments) > 1:
        service.deployments[:] = [current]
        state.deployments = {current["id"]: state.deployments.get(current["id"], DeploymentSim())}
        changed = True
    if current.get("rolloutState") != "COMPLETED":
        current["rolloutState"] = "COMPLETED"
        current["rolloutStateReason"] = ROLLOUT_COMPLETED.format(deployment=current["id"])
        current["updatedAt"] = at
        state.last_completed = (current["id"], str(current.get("taskDefinition")))
        event(service, at, MSG_COMPLETED.format(service=service.name, deployment=current["id"]))
        changed = True
    if not state.steady and service.status == "ACTIVE":
        state.steady = True
        event(service, at, MSG_STEADY.format(service=service.name))
        changed = True
    return changed
