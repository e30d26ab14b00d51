"""Deployments: what CreateService, UpdateService and DeleteService do to a service's deployments.

A new service gets one PRIMARY deployment (``ecs-svc/<digits>``, IN_PROGRESS). An update that changes
taskDefinition, networkConfiguration, platformVersion, capacityProviderStrategy, loadBalancers or
serviceRegistries, or sends forceNewDeployment, starts a new PRIMARY and turns the previous ones ACTIVE; a
desiredCount change only updates the PRIMARY. Counts are the sums over the deployments' tasks.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random

from reconciler.sandbox.defaults import default_deployment_configuration
from reconciler.sandbox.scheduler.placement import uses_fargate
from reconciler.sandbox.scheduler.state import (
    RUNNING,
    STARTING,
    DeploymentSim,
    primary,
    service_sim,
    sim_deployment,
    unschedule,
    wanted,
)
from reconciler.sandbox.scheduler.tasks import service_tasks
from reconciler.sandbox.scheduler.wording import ROLLOUT_IN_PROGRESS

__all__ = [
    "deployment_config",
    "on_service_created",
    "on_service_deleted",
    "on_service_updated",
    "refresh_counts",
    "start_deployment",
]


def _new_deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def _make_deployment(service: Any, at: datetime) -> dict[str, Any]:
    deployment_id = _new_deployment_id()
    strategy = getattr(service, "capacity_provider_strategy", None)
    deployment: dict[str, Any] = {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": at,
        "updatedAt": at,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": ROLLOUT_IN_PROGRESS.format(deployment=deployment_id),
        "networkConfiguration": copy.deepcopy(service.network_configuration) or None,
    }
    if strategy:
        deployment["capacityProviderStrategy"] = copy.deepcopy(strategy)
    else:
        deployment["launchType"] = service.launch_type
    if service.platform_version:
        deployment["platformVersion"] = service.platform_version
    if uses_fargate(service):
        deployment["platformFamily"] = "Linux"
    _remember_change_fields(service, deployment)
    return deployment


def _remember_change_fields(service: Any, deployment: dict[str, Any]) -> None:
    # Not in the Deployment output shape, so never serialised: what UpdateService compares against.
    deployment["_sandbox_load_balancers"] = copy.deepcopy(service.load_balancers)
    deployment["_sandbox_service_registries"] = copy.deepcopy(service.service_registries)


def start_deployment(service: Any, at: datetime) -> dict[str, Any]:
    """A new PRIMARY deployment of the service's current configuration; the previous ones turn ACTIVE."""
    state = service_sim(service)
    for existing in service.deployments:
        if existing.get("status") == "PRIMARY":
            existing["status"] = "ACTIVE"
            existing["updatedAt"] = at
    deployment = _make_deployment(service, at)
    service.deployments.insert(0, deployment)
    state.deployments[deployment["id"]] = DeploymentSim()
    state.steady = False
    state.config_warned = False
    return deployment


def _needs_deployment(service: Any, current: dict[str, Any] | None, props: dict[str, Any]) -> bool:
    if current is None or props.get("force_new_deployment"):
        return True
    if props.get("task_definition") and service.task_definition != current.get("taskDefinition"):
        return True
    checks: tuple[tuple[str, Any], ...] = (
        ("network_configuration", current.get("networkConfiguration")),
        ("platform_version", current.get("platformVersion")),
        ("capacity_provider_strategy", current.get("capacityProviderStrategy")),
        ("load_balancers", current.get("_sandbox_load_balancers")),
        ("service_registries", current.get("_sandbox_service_registries")),
    )
    for name, value in checks:
        given = props.get(name)
        if given is not None and given != value:
            return True
    return False


def deployment_config(service: Any) -> tuple[int, int, dict[str, Any]]:
    """(maximumPercent, minimumHealthyPercent, deploymentCircuitBreaker) of the service."""
    config = getattr(service, "deployment_configuration", None) or default_deployment_configuration(
        service.scheduling_strategy
    )
    maximum = int(config.get("maximumPercent", 200))
    minimum = int(config.get("minimumHealthyPercent", 100))
    breaker = dict(config.get("deploymentCircuitBreaker") or {})
    return maximum, minimum, breaker


def refresh_counts(backend: Any, service: Any) -> None:
    """Running and pending counts per deployment and for the service, from the tasks."""
    tasks = service_tasks(backend, service)
    running_total = pending_total = 0
    for deployment in service.deployments:
        mine = [t for t in tasks if sim_deployment(t) == deployment.get("id")]
        running = sum(1 for t in mine if t.last_status == RUNNING)
        pending = sum(1 for t in mine if t.last_status in STARTING and t.desired_status == RUNNING)
        deployment["runningCount"] = running
        deployment["pendingCount"] = pending
        if deployment.get("status") == "ACTIVE":
            deployment["desiredCount"] = sum(1 for t in mine if wanted(t))
        running_total += running
        pending_total += pending
    service.running_count = running_total
    service.pending_count = pending_total


# ------------------------------------------------------------------------ what the ECS fixes report


def on_service_created(service: Any) -> None:
    state = service_sim(service)
    service.running_count = 0
    service.pending_count = 0
    if service.deployment_controller.get("type", "ECS") != "ECS":
        unschedule(service)
        return
    deployment = _make_deployment(service, utcnow())
    service.deployments = [deployment]
    state.deployments = {deployment["id"]: DeploymentSim()}


def on_service_updated(backend: Any, service: Any, props: dict[str, Any]) -> None:
    at = utcnow()
    current = primary(service)
    if _needs_deployment(service, current, props):
        start_deployment(service, at)
    elif current is not None and current.get("desiredCount") != service.desired_count:
        current["desiredCount"] = service.desired_count
        current["updatedAt"] = at
        service_sim(service).steady = False
    refresh_counts(backend, service)


def on_service_deleted(backend: Any, service: Any) -> None:
    current = primary(service)
    if current is not None:
        current["desiredCount"] = 0
        current["updatedAt"] = utcnow()
    refresh_counts(backend, service)
