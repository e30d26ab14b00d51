"""A time-based ECS scheduler for the sandbox: services roll out, tasks start, crash, run and stop like in ECS.

Stock moto never runs a deployment (moto-notes 1.1, 5): services show fixed counts, tasks are never started for
services, one-off tasks advance one state per DescribeTasks. This module replaces that with a small simulation
of the ECS service scheduler and task lifecycle, installed by ``install_ecs_fixes()`` (process-wide, like the
other fixes: it works under ``moto.mock_aws()`` and in a ``ThreadedMotoServer`` alike).

Time model
----------
Progress happens over wall-clock time in *steps*. One step lasts ``step_seconds`` (``set_pace(seconds)``; the
default comes from the environment variable ``RECONCILER_SANDBOX_STEP_SECONDS``, else 1.0). Nothing runs in the
background: before any ECS request is handled, every cluster of that account and region is advanced by
floor(elapsed / step_seconds) steps (at most ``MAX_CATCH_UP_STEPS`` at once; beyond that the rest is dropped).
ECS requests and the simulation are serialised by one process-wide lock.

Behaviour contract (what the product and its tests rely on)
-----------------------------------------------------------
1. Deployments (``describe_services``): a new service gets one PRIMARY deployment (``ecs-svc/<digits>``,
   rolloutState IN_PROGRESS). UpdateService that changes taskDefinition, networkConfiguration, platformVersion,
   capacityProviderStrategy, loadBalancers or serviceRegistries, or sends forceNewDeployment=true, creates a new
   PRIMARY deployment and turns the previous ones ACTIVE; a desiredCount change only updates the PRIMARY's
   desiredCount. Each step the PRIMARY starts tasks and ACTIVE deployments (and tasks on DRAINING container
   instances) stop theirs, within deploymentConfiguration: running+pending of the service stays
   <= floor(desired * maximumPercent / 100) and running tasks >= ceil(desired * minimumHealthyPercent / 100).
   When the PRIMARY runs desiredCount tasks and no other deployment has a task left, the others are removed and
   the PRIMARY becomes COMPLETED ("ECS deployment ecs-svc/N completed."). Service runningCount/pendingCount are
   the sums over deployments, so the ``services_stable`` waiter (one deployment, runningCount == desiredCount)
   succeeds exactly when the rollout is done.
2. Events (newest first, at most 100), in ECS's wording (each is quoted from real describe-services output
   found in public docs and repositories; see the constants below).
3. Service tasks are moto ``Task`` objects: ``startedBy`` is the deployment id, ``group`` is ``service:NAME``,
   ``list_tasks(serviceName=...)`` and ``desiredStatus`` filter (ListTasks lists desiredStatus RUNNING unless
   asked for STOPPED, as AWS does). Every container of the task definition is reported. A task goes
   PROVISIONING -> PENDING -> RUNNING, one state per step; a stop request sets desiredStatus STOPPED at once and
   lastStatus STOPPED at the next step. Stopped tasks stay describable for an hour.
4. Crash markers: a container whose image tag (after the last ':') contains ``crash`` (``nginx:crash``,
   ``web:1.2-crash``), or whose environment (definition or override) has ``SANDBOX_CRASH=true``, makes its task
   go PROVISIONING -> PENDING -> STOPPED with stopCode EssentialContainerExited, stoppedReason "Essential
   container in task exited", that container exitCode 1 and reason "CannotStartContainerError: ...
   (sandbox: ...)". The deployment's failedTasks grows and ECS keeps launching replacements. With the
   deployment circuit breaker enabled the deployment turns FAILED once failedTasks >= max(3, min(200,
   ceil(desired / 2))) ("ECS deployment circuit breaker: tasks failed to start."); with rollback a new PRIMARY
   deployment to the task definition of the last COMPLETED deployment is created (the service's taskDefinition
   reverts) and rolls out; without rollback (or with nothing to roll back to) the failed deployment stays
   PRIMARY and launches nothing more.
5. DeleteService: DRAINING, the tasks stop over the next steps, INACTIVE at the first step with none left.
6. RunTask: PROVISIONING -> PENDING -> RUNNING for ``SANDBOX_RUN_STEPS`` steps (container environment or
   overrides, default 2) -> STOPPED (desiredStatus STOPPED, stopCode EssentialContainerExited, stoppedReason
   "Essential container in task exited"), each container's exitCode from ``SANDBOX_EXIT_CODE`` (default 0).
   Crash markers make it stop without running. ``clientToken`` makes RunTask idempotent. StopTask stops a task
   at the next step (stopCode UserInitiated).
7. EC2 (and non-Fargate capacity providers): service tasks are placed round robin on ACTIVE container instances
   that have room; with none, the event "(service X) was unable to place a task because no container instance
   met all of its requirements. ..." and the rollout stays IN_PROGRESS. Tasks on a DRAINING container instance
   are replaced on other instances, then stopped (stopCode ServiceSchedulerInitiated). FARGATE and
   FARGATE/FARGATE_SPOT capacity providers need no instances.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ec2.utils import random_private_ip
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random

from reconciler.sandbox import ecs_fixes

__all__ = [
    "MAX_CATCH_UP_STEPS",
    "PACE_ENV",
    "STOPPED_TASK_RETENTION_SECONDS",
    "advance",
    "circuit_breaker_threshold",
    "get_pace",
    "install_scheduler",
    "set_pace",
]

PACE_ENV = "RECONCILER_SANDBOX_STEP_SECONDS"
MAX_CATCH_UP_STEPS = 1000
STOPPED_TASK_RETENTION_SECONDS = 3600.0  # AWS keeps stopped tasks describable for at least an hour

# ---------------------------------------------------------------------------------------------- wording
# Service event messages, as ECS writes them. Sources (real describe-services output and AWS docs):
# * "(service app1) has started 2 tasks: (task 9ac2...) (task 51b3...)." and "(service my-http-service) has
#   stopped 1 running tasks: (task fb9c...)." and "(service my-http-service) (deployment ecs-svc/2420...)
#   deployment completed." -- describe-services output quoted in several public repositories;
# * "(service myservice) has reached a steady state." -- AWS developer guide, "Service event messages";
# * "(service devops-g3-inventory) (deployment ecs-svc/1571...) deployment failed: tasks failed to start." and
#   "(service devops-g3-inventory) rolling back to deployment ecs-svc/1675..." -- a public incident log;
# * "(service newrelic-ifnra) is unable to consistently start tasks successfully. For more information, see
#   the Troubleshooting section of the Amazon ECS Developer Guide." -- describe-services output (AWS guide:
#   "Service throttle logic");
# * "service X was unable to place a task because no container instance met all of its requirements. Reason:
#   No Container Instances were found in your cluster." -- AWS prescriptive guidance (ECS Anywhere);
# * "(service X) was unable to stop or start tasks during a deployment because of the service deployment
#   configuration. Update the minimumHealthyPercent or maximumPercent value and try again." -- AWS guide,
#   service event messages list.
# rolloutStateReason: "ECS deployment ecs-svc/N in progress." / "... completed." (moto and AWS), "ECS
# deployment circuit breaker: tasks failed to start." (aws/containers-roadmap#1488), "ECS deployment circuit
# breaker: rolling back to deploymentId ecs-svc/N." (AWS guide, deployment state change events).
# Task stop reasons: "Essential container in task exited" and "Scaling activity initiated by (deployment
# ecs-svc/N)" with stopCode ServiceSchedulerInitiated (AWS knowledge center "Why is my ECS task stopped?" and
# task state change events); "Task stopped by user" (StopTask without a reason).
MSG_STARTED = "(service {service}) has started {count} tasks: {tasks}."
MSG_STOPPED = "(service {service}) has stopped {count} running tasks: {tasks}."
MSG_STEADY = "(service {service}) has reached a steady state."
MSG_COMPLETED = "(service {service}) (deployment {deployment}) deployment completed."
MSG_FAILED = "(service {service}) (deployment {deployment}) deployment failed: tasks failed to start."
MSG_ROLLING_BACK = "(service {service}) rolling back to deployment {deployment}."
MSG_UNSTABLE = (
    "(service {service}) is unable to consistently start tasks successfully. For more information, see the "
    "Troubleshooting section of the Amazon ECS Developer Guide."
)
MSG_NO_PLACEMENT = (
    "(service {service}) was unable to place a task because no container instance met all of its requirements. "
    "Reason: {reason}. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
)
MSG_CONFIG_STUCK = (
    "(service {service}) was unable to stop or start tasks during a deployment because of the service deployment "
    "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
)
REASON_NO_INSTANCES = "No Container Instances were found in your cluster"
REASON_NO_ROOM = "The closest matching (container-instance {instance}) has insufficient memory available"
ROLLOUT_IN_PROGRESS = "ECS deployment {deployment} in progress."
ROLLOUT_COMPLETED = "ECS deployment {deployment} completed."
ROLLOUT_CIRCUIT_BREAKER = "ECS deployment circuit breaker: tasks failed to start."
ROLLOUT_ROLLING_BACK = "ECS deployment circuit breaker: rolling back to deploymentId {deployment}."
STOP_ESSENTIAL_EXITED = "Essential container in task exited"
STOP_SCALING = "Scaling activity initiated by (deployment {deployment})"
# Not verified against AWS output (no public sample found); the stopCode is the documented one.
STOP_INSTANCE_DRAINING = "Container instance {instance} is DRAINING: task replaced by (deployment {deployment})"
STOP_BY_USER = "Task stopped by user"
CONTAINER_CRASH_REASON = (
    "CannotStartContainerError: Error response from daemon: failed to create task for container: failed to "
    "create shim task: OCI runtime create failed: unable to start container process: exit status 1 "
    "(sandbox: {why})"
)

_PROVISIONING = "PROVISIONING"
_PENDING = "PENDING"
_RUNNING = "RUNNING"
_STOPPED = "STOPPED"
_STARTING = (_PROVISIONING, _PENDING)
_FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

_lock = threading.RLock()
_TASK = "_sandbox_task"  # _TaskSim on moto Task objects
_SERVICE = "_sandbox_service"  # _ServiceSim on moto Service objects
_CLOCK = "_sandbox_clock"  # monotonic time of the last step boundary, on the ECS backend
_RUN_TOKENS = "_sandbox_run_tokens"  # RunTask clientToken -> task ARNs, on the ECS backend


def _pace_from_env() -> float:
    raw = os.environ.get(PACE_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0 and math.isfinite(value):
            return value
    return 1.0


_step_seconds: float = _pace_from_env()


def set_pace(seconds: float) -> None:
    """Set the duration of one scheduler step, process-wide (tests use e.g. 0.02)."""
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"step seconds must be a positive number, not {seconds!r}")
    global _step_seconds
    with _lock:
        _step_seconds = float(seconds)


def get_pace() -> float:
    return _step_seconds


def circuit_breaker_threshold(desired_count: int) -> int:
    """Failed tasks after which the circuit breaker fails a deployment: 0.5 x desired, within [3, 200]."""
    return max(3, min(200, math.ceil(0.5 * desired_count)))


# --------------------------------------------------------------------------------------------- state


@dataclass
class _TaskSim:
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
class _DeploymentSim:
    warned_unstable: bool = False


@dataclass
class _ServiceSim:
    deployments: dict[str, _DeploymentSim] = field(default_factory=dict)
    last_completed: tuple[str, str] | None = None  # (deployment id, task definition ARN)
    steady: bool = False
    placement_warned: bool = False
    config_warned: bool = False
    next_instance: int = 0


class _SimContainer:
    """A container as DescribeTasks reports it (moto reports only the first container, always PENDING)."""

    def __init__(self, task: Any, definition: dict[str, Any]) -> None:
        self.container_arn = (
            f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/{task.cluster_name}/{task.id}/"
            f"{mock_random.uuid4()}"
        )
        self.task_arn = task.task_arn
        self.name = definition.get("name")
        self.image = definition.get("image")
        self.runtime_id: str | None = None
        self.last_status = _PENDING
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.network_bindings: list[dict[str, Any]] = []
        self.network_interfaces: list[dict[str, Any]] = []
        self.health_status = "UNKNOWN"
        self.cpu = str(definition.get("cpu", 0) or 0)
        memory = definition.get("memory")
        self.memory = str(memory) if memory is not None else None
        reservation = definition.get("memoryReservation")
        self.memory_reservation = str(reservation) if reservation is not None else None


def _sim(task: Any) -> _TaskSim | None:
    sim: _TaskSim | None = getattr(task, _TASK, None)
    return sim


def _service_sim(service: Any) -> _ServiceSim:
    sim: _ServiceSim | None = getattr(service, _SERVICE, None)
    if sim is None:
        sim = _ServiceSim()
        setattr(service, _SERVICE, sim)
    return sim


# -------------------------------------------------------------------------------------- environment


def _environment(definition: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, str]:
    env = {str(e.get("name")): str(e.get("value", "")) for e in definition.get("environment") or []}
    for override in (overrides or {}).get("containerOverrides") or []:
        if override.get("name") == definition.get("name"):
            env.update({str(e.get("name")): str(e.get("value", "")) for e in override.get("environment") or []})
    return env


def _image_tag(image: str) -> str:
    name = image.split("@", 1)[0]
    _, sep, tag = name.rpartition(":")
    return tag if sep and "/" not in tag else ""


def crash_reason(definition: dict[str, Any], env: dict[str, str]) -> str | None:
    """Why a container is marked to crash on start (its image tag contains 'crash', or SANDBOX_CRASH=true)."""
    if "crash" in _image_tag(str(definition.get("image") or "")).lower():
        return "image marked to crash"
    if env.get("SANDBOX_CRASH", "").strip().lower() == "true":
        return "SANDBOX_CRASH=true"
    return None


def _int_env(env: dict[str, str], name: str) -> int | None:
    raw = env.get(name)
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------- time


def _wall(moment: float, now: float, now_wall: datetime) -> datetime:
    return now_wall - timedelta(seconds=max(0.0, now - moment))


def advance(backend: Any) -> int:
    """Run the steps that are due for ``backend`` (one account and region). Returns how many ran."""
    with _lock:
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


# --------------------------------------------------------------------------------------- the step


def _step(backend: Any, at: datetime, moment: float) -> bool:
    """One scheduler step for every cluster of ``backend``. Returns whether anything changed."""
    changed = False
    for cluster_tasks in list(backend.tasks.values()):
        for task in list(cluster_tasks.values()):
            changed |= _advance_task(backend, task, at, moment)
    for service in list(backend.services.values()):
        if service.status in ("ACTIVE", "DRAINING") and getattr(service, _SERVICE, None) is not None:
            changed |= _schedule_service(backend, service, at)
    _prune_stopped(backend, moment)
    _refresh_cluster_counts(backend)
    return changed


def _advance_task(backend: Any, task: Any, at: datetime, moment: float) -> bool:
    sim = _sim(task)
    if sim is None or task.last_status == _STOPPED:
        return False
    status = task.last_status
    if sim.stop_code is not None:
        _finish(backend, task, sim, at, moment, exit_code=0 if status == _RUNNING else None)
        return True
    if status == _PROVISIONING:
        _set_status(task, _PENDING)
        task.pull_started_at = at
        return True
    if status == _PENDING:
        task.pull_stopped_at = at
        if sim.crash is not None:
            _crash(backend, task, sim, at, moment)
        else:
            _set_status(task, _RUNNING)
            task.started_at = at
            task.connectivity = "CONNECTED"
            task.connectivity_at = at
            for container in task.containers:
                container.last_status = _RUNNING
                container.runtime_id = f"{task.id}-{mock_random.randint(1000000000, 9999999999)}"
        return True
    if status == _RUNNING and sim.service is None:
        sim.steps_running += 1
        if sim.steps_running >= sim.run_steps:
            sim.stop_code, sim.stop_reason = "EssentialContainerExited", STOP_ESSENTIAL_EXITED
            _finish(backend, task, sim, at, moment, exit_code=None)
        return True
    return False


def _set_status(task: Any, status: str) -> None:
    task.last_status = status
    task.version = int(getattr(task, "version", 1) or 1) + 1


def _crash(backend: Any, task: Any, sim: _TaskSim, at: datetime, moment: float) -> None:
    sim.stop_code, sim.stop_reason = "EssentialContainerExited", STOP_ESSENTIAL_EXITED
    _finish(backend, task, sim, at, moment, exit_code=None, crashed=True)
    service = sim.service
    if service is None or sim.deployment_id is None:
        return
    deployment = _deployment(service, sim.deployment_id)
    if deployment is None:
        return
    deployment["failedTasks"] = int(deployment.get("failedTasks") or 0) + 1
    deployment["updatedAt"] = at


def _finish(
    backend: Any, task: Any, sim: _TaskSim, at: datetime, moment: float, *, exit_code: int | None,
    crashed: bool = False,
) -> None:
    """Move a task to STOPPED and release what it holds."""
    _set_status(task, _STOPPED)
    task.desired_status = _STOPPED
    task.stop_code = sim.stop_code
    task.stopped_reason = sim.stop_reason or ""
    if getattr(task, "stopping_at", None) is None:
        task.stopping_at = at
    task.execution_stopped_at = at
    task.stopped_at = at
    task.connectivity = None
    sim.stopped_monotonic = moment
    for container in task.containers:
        definition = _container_definition(backend, task, container.name)
        env = _environment(definition, task.overrides)
        container.last_status = _STOPPED
        if crashed:
            why = crash_reason(definition, env)
            if why is not None:
                container.exit_code = 1
                container.reason = CONTAINER_CRASH_REASON.format(why=why)
        elif task.started_at is not None:
            code = exit_code if exit_code is not None else sim.exit_codes.get(str(container.name), 0)
            container.exit_code = code
    _release(backend, task, sim)


def _container_definition(backend: Any, task: Any, name: Any) -> dict[str, Any]:
    definition = _task_definition(backend, task.task_definition_arn)
    for container in getattr(definition, "container_definitions", None) or []:
        if container.get("name") == name:
            return dict(container)
    return {}


def _task_definition(backend: Any, arn: str) -> Any:
    family, _, revision = arn.split("/")[-1].rpartition(":")
    try:
        return backend.task_definitions[family][int(revision)]
    except (KeyError, ValueError):
        return None


def _release(backend: Any, task: Any, sim: _TaskSim) -> None:
    if sim.instance_id is not None:
        instance = backend.container_instances.get(task.cluster_name, {}).get(sim.instance_id)
        if instance is not None and task.resource_requirements is not None:
            backend.update_container_instance_resources(instance, task.resource_requirements, removing=True)
        sim.instance_id = None
    if sim.eni_id is not None:
        with contextlib.suppress(Exception):  # the ENI may be gone already; nothing else depends on it
            ec2_backends[task._account_id][task.region_name].delete_network_interface(sim.eni_id)
        for attachment in task.attachments:
            attachment["status"] = "DELETED"
        sim.eni_id = None


def _prune_stopped(backend: Any, moment: float) -> None:
    for cluster_tasks in backend.tasks.values():
        for arn, task in list(cluster_tasks.items()):
            sim = _sim(task)
            stopped = sim.stopped_monotonic if sim is not None else None
            if stopped is not None and moment - stopped > STOPPED_TASK_RETENTION_SECONDS:
                del cluster_tasks[arn]


def _refresh_cluster_counts(backend: Any) -> None:
    for cluster in backend.clusters.values():
        tasks = list(backend.tasks.get(cluster.name, {}).values())
        cluster.running_tasks_count = sum(1 for t in tasks if t.last_status == _RUNNING)
        cluster.pending_tasks_count = sum(1 for t in tasks if t.last_status in _STARTING)
        cluster.active_services_count = sum(
            1 for s in backend.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE"
        )


# ----------------------------------------------------------------------------------- deployments


def _new_deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def _deployment(service: Any, deployment_id: str) -> dict[str, Any] | None:
    for deployment in service.deployments:
        if deployment.get("id") == deployment_id:
            found: dict[str, Any] = deployment
            return found
    return None


def _primary(service: Any) -> dict[str, Any] | None:
    for deployment in service.deployments:
        if deployment.get("status") == "PRIMARY":
            found: dict[str, Any] = deployment
            return found
    return None


def _make_deployment(service: Any, at: datetime, deployment_id: str | None = None) -> dict[str, Any]:
    deployment_id = deployment_id or _new_deployment_id()
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
    if _uses_fargate(service):
        deployment["platformFamily"] = "Linux"
    return deployment


def _start_deployment(service: Any, at: datetime) -> dict[str, Any]:
    sim = _service_sim(service)
    for deployment in service.deployments:
        if deployment.get("status") == "PRIMARY":
            deployment["status"] = "ACTIVE"
            deployment["updatedAt"] = at
    deployment = _make_deployment(service, at)
    service.deployments.insert(0, deployment)
    sim.deployments[deployment["id"]] = _DeploymentSim()
    sim.steady = False
    sim.config_warned = False
    return deployment


def _needs_deployment(service: Any, primary: dict[str, Any] | None, props: dict[str, Any]) -> bool:
    if primary is None or props.get("force_new_deployment"):
        return True
    if props.get("task_definition") and service.task_definition != primary.get("taskDefinition"):
        return True
    current_strategy = primary.get("capacityProviderStrategy")
    checks: tuple[tuple[str, Any], ...] = (
        ("network_configuration", primary.get("networkConfiguration")),
        ("platform_version", primary.get("platformVersion")),
        ("capacity_provider_strategy", current_strategy),
        ("load_balancers", primary.get("_sandbox_load_balancers")),
        ("service_registries", primary.get("_sandbox_service_registries")),
    )
    for name, current in checks:
        given = props.get(name)
        if given is not None and given != current:
            return True
    return False


# -------------------------------------------------------------------------------------------- hooks


def _on_service_created(backend: Any, service: Any) -> None:
    with _lock:
        sim = _service_sim(service)
        service.running_count = 0
        service.pending_count = 0
        if service.deployment_controller.get("type", "ECS") != "ECS":
            setattr(service, _SERVICE, None)
            return
        deployment = _make_deployment(service, utcnow())
        _remember_change_fields(service, deployment)
        service.deployments = [deployment]
        sim.deployments = {deployment["id"]: _DeploymentSim()}


def _remember_change_fields(service: Any, deployment: dict[str, Any]) -> None:
    # Not in the Deployment output shape, so never serialised: what UpdateService compares against.
    deployment["_sandbox_load_balancers"] = copy.deepcopy(service.load_balancers)
    deployment["_sandbox_service_registries"] = copy.deepcopy(service.service_registries)


def _on_service_updated(backend: Any, service: Any, props: dict[str, Any]) -> None:
    with _lock:
        if getattr(service, _SERVICE, None) is None:
            return
        at = utcnow()
        primary = _primary(service)
        if _needs_deployment(service, primary, props):
            primary = _start_deployment(service, at)
            _remember_change_fields(service, primary)
        elif primary is not None and primary.get("desiredCount") != service.desired_count:
            primary["desiredCount"] = service.desired_count
            primary["updatedAt"] = at
            _service_sim(service).steady = False
        _refresh_counts(backend, service)


def _on_service_deleted(backend: Any, service: Any) -> None:
    with _lock:
        if getattr(service, _SERVICE, None) is None:
            return
        primary = _primary(service)
        if primary is not None:
            primary["desiredCount"] = 0
            primary["updatedAt"] = utcnow()
        _refresh_counts(backend, service)


# ------------------------------------------------------------------------------------ service tasks


def _service_tasks(backend: Any, service: Any) -> list[Any]:
    found = []
    for task in backend.tasks.get(service.cluster_name, {}).values():
        sim = _sim(task)
        if sim is not None and sim.service is service:
            found.append(task)
    return found


def _live(task: Any) -> bool:
    return bool(task.last_status != _STOPPED)


def _wanted(task: Any) -> bool:
    """Live and not being stopped."""
    return bool(task.last_status != _STOPPED and task.desired_status == _RUNNING)


def _refresh_counts(backend: Any, service: Any) -> None:
    tasks = _service_tasks(backend, service)
    running_total = pending_total = 0
    for deployment in service.deployments:
        mine = [t for t in tasks if _sim_deployment(t) == deployment.get("id")]
        running = sum(1 for t in mine if t.last_status == _RUNNING)
        pending = sum(1 for t in mine if t.last_status in _STARTING and t.desired_status == _RUNNING)
        deployment["runningCount"] = running
        deployment["pendingCount"] = pending
        if deployment.get("status") == "ACTIVE":
            deployment["desiredCount"] = sum(1 for t in mine if _wanted(t))
        running_total += running
        pending_total += pending
    service.running_count = running_total
    service.pending_count = pending_total


def _sim_deployment(task: Any) -> str | None:
    sim = _sim(task)
    return sim.deployment_id if sim is not None else None


def _event(service: Any, at: datetime, message: str) -> None:
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": at, "message": message})
    del service.events[100:]


def _task_list(tasks: Iterable[Any]) -> str:
    return " ".join(f"(task {t.id})" for t in tasks)


def _deployment_config(service: Any) -> tuple[int, int, dict[str, Any]]:
    config = getattr(service, "deployment_configuration", None) or ecs_fixes.default_deployment_configuration(
        service.scheduling_strategy
    )
    maximum = int(config.get("maximumPercent", 200))
    minimum = int(config.get("minimumHealthyPercent", 100))
    breaker = dict(config.get("deploymentCircuitBreaker") or {})
    return maximum, minimum, breaker


def _uses_fargate(service: Any) -> bool:
    if service.launch_type == "FARGATE":
        return True
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    return any(item.get("capacityProvider") in _FARGATE_PROVIDERS for item in strategy)


def _draining_instance_ids(backend: Any, cluster_name: str) -> set[str]:
    instances = backend.container_instances.get(cluster_name, {})
    return {key for key, instance in instances.items() if instance.status != "ACTIVE"}


def _schedule_service(backend: Any, service: Any, at: datetime) -> bool:
    sim = _service_sim(service)
    primary = _primary(service)
    if primary is None:
        return False
    changed = False
    tasks = _service_tasks(backend, service)
    draining = _draining_instance_ids(backend, service.cluster_name)
    desired = 0 if service.status == "DRAINING" else int(service.desired_count or 0)
    primary_id = primary["id"]
    maximum, minimum, breaker = _deployment_config(service)

    def doomed(task: Any) -> bool:
        task_sim = _sim(task)
        return bool(task_sim is not None and task_sim.instance_id in draining)

    good = [t for t in tasks if _wanted(t) and _sim_deployment(t) == primary_id and not doomed(t)]
    old = [t for t in tasks if _wanted(t) and t not in good]

    # Circuit breaker and the "unable to consistently start" warning.
    changed |= _check_failures(backend, service, sim, primary, breaker, desired, at)
    primary = _primary(service) or primary
    if primary["id"] != primary_id:  # rolled back: the failed deployment's tasks are now old ones
        primary_id = primary["id"]
        good, old = [], [t for t in tasks if _wanted(t)]
    failed = primary.get("rolloutState") == "FAILED"

    stopped: list[Any] = []
    # Pending tasks that are going away are stopped at once (old deployments, draining instances).
    for task in [t for t in old if t.last_status in _STARTING]:
        _request_stop(task, "ServiceSchedulerInitiated", _stop_reason(backend, task, draining, primary_id))
        stopped.append(task)
    old = [t for t in old if t not in stopped]

    # Scale in the primary when it has more than desired.
    if len(good) > desired:
        surplus = sorted(good, key=lambda t: (t.last_status == _RUNNING, t.created_at))[: len(good) - desired]
        for task in surplus:
            _request_stop(task, "ServiceSchedulerInitiated", STOP_SCALING.format(deployment=primary_id))
            stopped.append(task)
        good = [t for t in good if t not in surplus]

    # Start primary tasks, within maximumPercent (rounded down).
    max_total = math.floor(desired * maximum / 100)
    to_start = 0 if failed else max(0, min(desired - len(good), max_total - len(good) - len(old)))
    started = _start_tasks(backend, service, sim, primary, to_start, at) if to_start else []

    # Stop old tasks while at least minimumHealthyPercent (rounded up) stay running. A FAILED deployment
    # launches nothing, so the old tasks then stay.
    min_healthy = math.ceil(desired * minimum / 100)
    healthy = sum(1 for t in good + old if t.last_status == _RUNNING)
    can_stop = 0 if failed else max(0, healthy - min_healthy)
    for task in old[:can_stop]:
        _request_stop(task, "ServiceSchedulerInitiated", _stop_reason(backend, task, draining, primary_id))
        stopped.append(task)
    old = old[can_stop:]

    if started:
        _event(service, at, MSG_STARTED.format(service=service.name, count=len(started), tasks=_task_list(started)))
    running_stopped = [t for t in stopped if t.started_at is not None]
    if running_stopped:
        _event(service, at, MSG_STOPPED.format(
            service=service.name, count=len(running_stopped), tasks=_task_list(running_stopped)))
    changed |= bool(started) or bool(stopped)

    stuck = (
        not failed and to_start == 0 and not stopped and len(good) < desired and bool(old)
        and not any(t.last_status in _STARTING for t in good)
        and not any(t.desired_status == _STOPPED and _live(t) for t in tasks)
    )
    if stuck and not sim.config_warned:
        sim.config_warned = True
        _event(service, at, MSG_CONFIG_STUCK.format(service=service.name))
        changed = True

    primary["desiredCount"] = desired
    _refresh_counts(backend, service)
    if service.status == "ACTIVE":
        changed |= _check_completion(backend, service, sim, primary, desired, at)

    if service.status == "DRAINING" and not any(_live(t) for t in _service_tasks(backend, service)):
        service.status = "INACTIVE"
        service.running_count = 0
        service.pending_count = 0
        changed = True
    return changed


def _stop_reason(backend: Any, task: Any, draining: set[str], primary_id: str) -> str:
    task_sim = _sim(task)
    if task_sim is not None and task_sim.instance_id in draining:
        instance = backend.container_instances.get(task.cluster_name, {}).get(task_sim.instance_id)
        name = instance.container_instance_arn if instance is not None else task_sim.instance_id
        return STOP_INSTANCE_DRAINING.format(instance=name, deployment=primary_id)
    return STOP_SCALING.format(deployment=primary_id)


def _request_stop(task: Any, code: str, reason: str) -> None:
    sim = _sim(task)
    if sim is None or not _live(task):
        return
    task.desired_status = _STOPPED
    task.stopping_at = utcnow()
    if sim.stop_code is None:
        sim.stop_code, sim.stop_reason = code, reason


def _check_failures(
    backend: Any, service: Any, sim: _ServiceSim, primary: dict[str, Any], breaker: dict[str, Any],
    desired: int, at: datetime,
) -> bool:
    failed_tasks = int(primary.get("failedTasks") or 0)
    dep_sim = sim.deployments.setdefault(primary["id"], _DeploymentSim())
    changed = False
    if failed_tasks >= 3 and not dep_sim.warned_unstable:
        dep_sim.warned_unstable = True
        _event(service, at, MSG_UNSTABLE.format(service=service.name))
        changed = True
    if (
        not breaker.get("enable")
        or primary.get("rolloutState") != "IN_PROGRESS"
        or failed_tasks < circuit_breaker_threshold(desired)
    ):
        return changed
    primary["rolloutState"] = "FAILED"
    primary["rolloutStateReason"] = ROLLOUT_CIRCUIT_BREAKER
    primary["updatedAt"] = at
    _event(service, at, MSG_FAILED.format(service=service.name, deployment=primary["id"]))
    if breaker.get("rollback") and sim.last_completed is not None:
        completed_id, task_definition = sim.last_completed
        service.task_definition = task_definition
        rollback = _start_deployment(service, at)
        _remember_change_fields(service, rollback)
        rollback["rolloutStateReason"] = ROLLOUT_ROLLING_BACK.format(deployment=completed_id)
        _event(service, at, MSG_ROLLING_BACK.format(service=service.name, deployment=completed_id))
    return True


def _check_completion(
    backend: Any, service: Any, sim: _ServiceSim, primary: dict[str, Any], desired: int, at: datetime
) -> bool:
    tasks = _service_tasks(backend, service)
    others_live = any(_live(t) and _sim_deployment(t) != primary["id"] for t in tasks)
    mine = [t for t in tasks if _live(t) and _sim_deployment(t) == primary["id"]]
    settled = (
        not others_live
        and len(mine) == desired
        and all(t.last_status == _RUNNING and t.desired_status == _RUNNING for t in mine)
    )
    if not settled or primary.get("rolloutState") == "FAILED":
        sim.steady = sim.steady and settled
        return False
    changed = False
    if len(service.deployments) > 1:
        service.deployments[:] = [primary]
        sim.deployments = {primary["id"]: sim.deployments.get(primary["id"], _DeploymentSim())}
        changed = True
    if primary.get("rolloutState") != "COMPLETED":
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = ROLLOUT_COMPLETED.format(deployment=primary["id"])
        primary["updatedAt"] = at
        sim.last_completed = (primary["id"], str(primary.get("taskDefinition")))
        _event(service, at, MSG_COMPLETED.format(service=service.name, deployment=primary["id"]))
        changed = True
    if not sim.steady and service.status == "ACTIVE":
        sim.steady = True
        _event(service, at, MSG_STEADY.format(service=service.name))
        changed = True
    return changed


def _start_tasks(
    backend: Any, service: Any, sim: _ServiceSim, deployment: dict[str, Any], count: int, at: datetime
) -> list[Any]:
    cluster = backend.clusters.get(service.cluster_name)
    task_definition = _task_definition(backend, str(deployment.get("taskDefinition") or ""))
    if cluster is None or task_definition is None:
        return []
    requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements(task_definition)
    fargate = _uses_fargate(service)
    started = []
    for _ in range(count):
        instance = None if fargate else _place(backend, service, sim, requirements)
        if not fargate and instance is None:
            if not sim.placement_warned:
                sim.placement_warned = True
                _event(service, at, MSG_NO_PLACEMENT.format(service=service.name, reason=_placement_reason(
                    backend, service.cluster_name)))
            break
        sim.placement_warned = False
        task = _new_service_task(backend, cluster, service, task_definition, deployment, instance, requirements, at)
        started.append(task)
    return started


def _placement_reason(backend: Any, cluster_name: str) -> str:
    active = [i for i in backend.container_instances.get(cluster_name, {}).values() if i.status == "ACTIVE"]
    if not active:
        return REASON_NO_INSTANCES
    return REASON_NO_ROOM.format(instance=active[0].id)


def _place(backend: Any, service: Any, sim: _ServiceSim, requirements: dict[str, Any]) -> Any:
    """Round robin over ACTIVE instances with room, preferring the ones running the fewest tasks (spread)."""
    instances = sorted(
        (i for i in backend.container_instances.get(service.cluster_name, {}).values() if i.status == "ACTIVE"),
        key=lambda i: i.registered_at,
    )
    order = [instances[(sim.next_instance + k) % len(instances)] for k in range(len(instances))]
    fitting = [i for i in order if backend._can_be_placed(i, requirements)]
    if not fitting:
        return None
    chosen = min(fitting, key=lambda i: int(i.running_tasks_count))
    sim.next_instance = (instances.index(chosen) + 1) % len(instances)
    return chosen


def _new_service_task(
    backend: Any, cluster: Any, service: Any, task_definition: Any, deployment: dict[str, Any], instance: Any,
    requirements: dict[str, Any], at: datetime,
) -> Any:
    # A stand-in definition without awsvpc: the ENI is created below (moto's Task would crash on some VPCs).
    stand_in = types.SimpleNamespace(
        arn=task_definition.arn, network_mode="bridge", container_definitions=task_definition.container_definitions
    )
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    tags: list[dict[str, str]] = []
    if service.propagate_tags == "SERVICE":
        tags = copy.deepcopy(service.tags or [])
    elif service.propagate_tags == "TASK_DEFINITION":
        tags = copy.deepcopy(task_definition.tags or [])
    task = Task(
        cluster,
        stand_in,  # type: ignore[arg-type]
        instance.container_instance_arn if instance is not None else None,
        requirements,
        backend=backend,
        group=f"service:{service.name}",
        launch_type=service.launch_type or "",
        overrides={},
        started_by=deployment["id"],
        tags=tags,
        platform_version=service.platform_version,
        capacity_provider_name=strategy[0].get("capacityProvider") if strategy else None,
    )
    task.id = uuid.UUID(int=mock_random.getrandbits(128)).hex
    env_overrides: dict[str, Any] = {}
    crash = None
    for definition in task_definition.container_definitions:
        crash = crash or crash_reason(definition, _environment(definition, env_overrides))
    sim = _TaskSim(service=service, deployment_id=deployment["id"], crash=crash, run_steps=0, exit_codes={})
    _adopt(backend, task, task_definition, sim, at)
    if instance is not None:
        backend.update_container_instance_resources(instance, requirements)
        sim.instance_id = instance.container_instance_arn.split("/")[-1]
    if task_definition.network_mode == "awsvpc":
        _attach_eni(task, sim, ecs_fixes._with_security_groups(service.network_configuration or {}))
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    return task


def _attach_eni(task: Any, sim: _TaskSim, network: dict[str, Any]) -> None:
    task.network_configuration = network
    awsvpc = network.get("awsvpcConfiguration") or {}
    subnets = awsvpc.get("subnets") or []
    if not subnets:
        return
    ec2 = ec2_backends[task._account_id][task.region_name]
    try:
        eni = ec2.create_network_interface(
            subnet=subnets[0], private_ip_address=random_private_ip(), group_ids=awsvpc.get("securityGroups") or [],
            description="sandbox ECS task",
        )
    except Exception:  # an unknown subnet: the service was validated, so report no ENI
        return
    eni.status = "in-use"
    eni.device_index = 0
    sim.eni_id = eni.id
    details = [
        {"name": "subnetId", "value": subnets[0]},
        {"name": "networkInterfaceId", "value": eni.id},
        {"name": "macAddress", "value": eni.mac_address},
        {"name": "privateIPv4Address", "value": eni.private_ip_address},
    ]
    dns = getattr(eni, "private_dns_name", None)
    if dns:
        details.append({"name": "privateDnsName", "value": dns})
    task.attachments = [{"id": str(mock_random.uuid4()), "type": "ElasticNetworkInterface", "status": "ATTACHED",
                         "details": details}]
    with contextlib.suppress(Exception):
        task.availability_zone = ec2.get_subnet(subnets[0]).availability_zone
    attachment_id = task.attachments[0]["id"]
    for container in task.containers:
        container.network_interfaces = [{"attachmentId": attachment_id, "privateIpv4Address": eni.private_ip_address}]


def _adopt(backend: Any, task: Any, task_definition: Any, sim: _TaskSim, at: datetime) -> None:
    """Put a moto Task under the scheduler: PROVISIONING, every container, timestamps."""
    task._transitions = []  # freeze moto's describe-driven state machine for this task
    task.last_status = _PROVISIONING
    task.desired_status = _RUNNING
    task.created_at = at
    task.version = 1
    task.health_status = "UNKNOWN"
    task.cpu = task_definition.cpu
    task.memory = task_definition.memory
    task.started_at = None
    task.stopped_at = None
    task.stopping_at = None
    task.stop_code = None
    task.containers = [_SimContainer(task, dict(d)) for d in task_definition.container_definitions]
    if task.attachments and task.attachments[0].get("type") == "ElasticNetworkInterface":
        details = {d["name"]: d["value"] for d in task.attachments[0].get("details", [])}
        sim.eni_id = details.get("networkInterfaceId")
        for container in task.containers:
            container.network_interfaces = [{"attachmentId": task.attachments[0]["id"],
                                             "privateIpv4Address": details.get("privateIPv4Address")}]
    setattr(task, _TASK, sim)


def _adopt_standalone(backend: Any, task: Any, overrides: dict[str, Any] | None, at: datetime) -> None:
    task_definition = _task_definition(backend, task.task_definition_arn)
    crash = None
    run_steps: int | None = None
    exit_codes: dict[str, int] = {}
    for definition in task_definition.container_definitions:
        env = _environment(definition, overrides)
        crash = crash or crash_reason(definition, env)
        steps = _int_env(env, "SANDBOX_RUN_STEPS")
        if steps is not None:
            run_steps = max(run_steps or 0, steps)
        exit_codes[str(definition.get("name"))] = _int_env(env, "SANDBOX_EXIT_CODE") or 0
    sim = _TaskSim(service=None, deployment_id=None, crash=crash,
                   run_steps=max(0, run_steps if run_steps is not None else 2), exit_codes=exit_codes)
    if task.container_instance_arn:
        sim.instance_id = task.container_instance_arn.split("/")[-1]
    _adopt(backend, task, task_definition, sim, at)


# --------------------------------------------------------------------------------------- patches


def _patch_dispatch() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def call_action(self: Any) -> Any:
            with _lock:
                advance(self.ecs_backend)
                return original(self)

        return call_action

    ecs_fixes._patch(EC2ContainerServiceResponse, "call_action", make)


def _patch_list_tasks() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def list_tasks(
            self: Any,
            cluster_str: str | None = None,
            container_instance: str | None = None,
            family: str | None = None,
            started_by: str | None = None,
            service_name: str | None = None,
            desiredStatus: str | None = None,  # moto's parameter name
        ) -> list[Any]:
            tasks: list[Any] = original(self, cluster_str, container_instance, family, started_by, None,
                                        desiredStatus or _RUNNING)
            if service_name:
                name = service_name.split("/")[-1]
                tasks = [t for t in tasks if t.group == f"service:{name}"]
            return tasks

        return list_tasks

    ecs_fixes._patch(EC2ContainerServiceBackend, "list_tasks", make)


def _patch_stop_task() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def stop_task(self: Any, cluster_str: str, task_str: str, reason: str | None) -> Any:
            cluster = self._get_cluster(cluster_str)
            task_id = task_str.split("/")[-1]
            for arn, task in self.tasks.get(cluster.name, {}).items():
                if arn.endswith(task_id) and _sim(task) is not None:
                    _request_stop(task, "UserInitiated", reason or STOP_BY_USER)
                    return task
            return original(self, cluster_str, task_str, reason)

        return stop_task

    ecs_fixes._patch(EC2ContainerServiceBackend, "stop_task", make)


def _patch_run_task() -> None:
    def make(_original: Any) -> Callable[..., Any]:
        def run_task(self: Any) -> ActionResult:
            backend = self.ecs_backend
            param = self._get_param
            cluster = backend._get_cluster(param("cluster", "default"))
            token = param("clientToken")
            tokens: dict[tuple[str, str], list[str]] = backend.__dict__.setdefault(_RUN_TOKENS, {})
            if token and (cluster.name, token) in tokens:
                known = backend.tasks.get(cluster.name, {})
                return ActionResult({"tasks": [known[a] for a in tokens[cluster.name, token] if a in known],
                                     "failures": []})
            overrides = param("overrides")
            count = self._get_int_param("count", 1)
            try:
                tasks = backend.run_task(
                    param("cluster", "default"), param("taskDefinition"), count, overrides, param("startedBy"),
                    param("tags"), param("launchType"), param("networkConfiguration"), param("group"),
                    param("platformVersion"), param("capacityProviderStrategy"),
                )
            except Exception as exc:
                if str(exc).startswith("No instances found"):
                    raise InvalidParameterException(f"{REASON_NO_INSTANCES}.") from None
                raise
            placed = list(tasks)
            instances = backend.container_instances.get(cluster.name, {}).values()
            if count and not placed and not any(i.status == "ACTIVE" for i in instances):
                raise InvalidParameterException(f"{REASON_NO_INSTANCES}.")
            at = utcnow()
            for task in placed:
                _adopt_standalone(backend, task, overrides, at)
            if token:
                tokens[cluster.name, token] = [t.task_arn for t in placed]
            failures = [{"reason": "RESOURCE:MEMORY"} for _ in range(count - len(placed))]
            return ActionResult({"tasks": placed, "failures": failures})

        return run_task

    ecs_fixes._patch(EC2ContainerServiceResponse, "run_task", make)


def _resource_requirements(task_definition: Any) -> dict[str, Any]:
    """moto's calculation, fixed for task definitions whose memory is set only at task level (moto-notes 1.8b)."""
    requirements: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    container_memory = 0
    for container in task_definition.container_definitions:
        requirements["CPU"] += int(container.get("cpu", container.get("Cpu", 0)) or 0)
        memory = None
        for key in ("Memory", "MemoryReservation", "memory", "memoryReservation"):
            if container.get(key) is not None:
                memory = container.get(key)
                break
        container_memory += int(memory or 0)
        for mapping in container.get("portMappings", container.get("PortMappings", [])) or []:
            port = mapping.get("hostPort", mapping.get("HostPort"))
            if port is not None:
                requirements["PORTS"].append(port)
    task_memory = getattr(task_definition, "memory", None)
    requirements["MEMORY"] = container_memory or (int(task_memory) if task_memory else 0)
    return requirements


def _patch_resource_requirements() -> None:
    name = "_calculate_task_resource_requirements"
    current = EC2ContainerServiceBackend.__dict__.get(name)
    if getattr(getattr(current, "__func__", None), ecs_fixes._PATCH_MARK, False):
        return
    setattr(_resource_requirements, ecs_fixes._PATCH_MARK, True)
    setattr(EC2ContainerServiceBackend, name, staticmethod(_resource_requirements))


_installed = False


def install_scheduler() -> None:
    """Install the scheduler (idempotent). Called by ``install_ecs_fixes()``."""
    global _installed
    with _lock:
        _patch_dispatch()
        _patch_list_tasks()
        _patch_stop_task()
        _patch_run_task()
        _patch_resource_requirements()
        if _installed:
            return
        _installed = True
        ecs_fixes.DRAIN_WITH_SCHEDULER = True
        ecs_fixes.SERVICE_CREATED_HOOKS.append(_on_service_created)
        ecs_fixes.SERVICE_UPDATED_HOOKS.append(_on_service_updated)
        ecs_fixes.SERVICE_DELETED_HOOKS.append(_on_service_deleted)
