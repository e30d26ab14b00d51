"""Tasks: PROVISIONING -> PENDING -> RUNNING -> STOPPED, one state per step, with every container reported.

Service tasks are started by the rollout (``rollout.py``) and run until stopped; one-off tasks (RunTask) run
for ``SANDBOX_RUN_STEPS`` steps and exit with ``SANDBOX_EXIT_CODE``. A crash marker (an image tag containing
``crash``, or ``SANDBOX_CRASH=true``) makes a task stop before it runs. A stopped task releases its container
instance's resources and its ENI, and stays describable for an hour.
"""

from __future__ import annotations

import contextlib
import copy
import types
import uuid
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.ec2.utils import random_private_ip
from moto.ecs.models import Task
from moto.moto_api._internal import mock_random

from reconciler.sandbox.defaults import with_security_groups
from reconciler.sandbox.scheduler.state import (
    PENDING,
    PROVISIONING,
    RUNNING,
    STOPPED,
    TaskSim,
    deployment,
    live,
    set_sim,
    sim,
    task_definition,
)
from reconciler.sandbox.scheduler.wording import CONTAINER_CRASH_REASON, STOP_ESSENTIAL_EXITED

__all__ = [
    "STOPPED_TASK_RETENTION_SECONDS",
    "adopt_standalone",
    "advance_task",
    "crash_reason",
    "new_service_task",
    "prune_stopped",
    "request_stop",
    "service_tasks",
]

STOPPED_TASK_RETENTION_SECONDS = 3600.0  # AWS keeps stopped tasks describable for at least an hour


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
        self.last_status = PENDING
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


# ---------------------------------------------------------------------------------------- markers


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


# ---------------------------------------------------------------------------------------- lifecycle


def advance_task(backend: Any, task: Any, at: datetime, moment: float) -> bool:
    """One step of one task. Returns whether it changed."""
    state = sim(task)
    if state is None or task.last_status == STOPPED:
        return False
    status = task.last_status
    if state.stop_code is not None:
        _finish(backend, task, state, at, moment, exit_code=0 if status == RUNNING else None)
        return True
    if status == PROVISIONING:
        _set_status(task, PENDING)
        task.pull_started_at = at
        return True
    if status == PENDING:
        task.pull_stopped_at = at
        if state.crash is not None:
            _crash(backend, task, state, at, moment)
        else:
            _set_status(task, RUNNING)
            task.started_at = at
            task.connectivity = "CONNECTED"
            task.connectivity_at = at
            for container in task.containers:
                container.last_status = RUNNING
                container.runtime_id = f"{task.id}-{mock_random.randint(1000000000, 9999999999)}"
        return True
    if status == RUNNING and state.service is None:
        state.steps_running += 1
        if state.steps_running >= state.run_steps:
            state.stop_code, state.stop_reason = "EssentialContainerExited", STOP_ESSENTIAL_EXITED
            _finish(backend, task, state, at, moment, exit_code=None)
        return True
    return False


def _set_status(task: Any, status: str) -> None:
    task.last_status = status
    task.version = int(getattr(task, "version", 1) or 1) + 1


def _crash(backend: Any, task: Any, state: TaskSim, at: datetime, moment: float) -> None:
    state.stop_code, state.stop_reason = "EssentialContainerExited", STOP_ESSENTIAL_EXITED
    _finish(backend, task, state, at, moment, exit_code=None, crashed=True)
    service = state.service
    if service is None or state.deployment_id is None:
        return
    failed = deployment(service, state.deployment_id)
    if failed is None:
        return
    failed["failedTasks"] = int(failed.get("failedTasks") or 0) + 1
    failed["updatedAt"] = at


def _finish(
    backend: Any, task: Any, state: TaskSim, at: datetime, moment: float, *, exit_code: int | None,
    crashed: bool = False,
) -> None:
    """Move a task to STOPPED and release what it holds."""
    _set_status(task, STOPPED)
    task.desired_status = STOPPED
    task.stop_code = state.stop_code
    task.stopped_reason = state.stop_reason or ""
    if getattr(task, "stopping_at", None) is None:
        task.stopping_at = at
    task.execution_stopped_at = at
    task.stopped_at = at
    task.connectivity = None
    state.stopped_monotonic = moment
    for container in task.containers:
        definition = _container_definition(backend, task, container.name)
        env = _environment(definition, task.overrides)
        container.last_status = STOPPED
        if crashed:
            why = crash_reason(definition, env)
            if why is not None:
                container.exit_code = 1
                container.reason = CONTAINER_CRASH_REASON.format(why=why)
        elif task.started_at is not None:
            code = exit_code if exit_code is not None else state.exit_codes.get(str(container.name), 0)
            container.exit_code = code
    _release(backend, task, state)


def _container_definition(backend: Any, task: Any, name: Any) -> dict[str, Any]:
    definition = task_definition(backend, task.task_definition_arn)
    for container in getattr(definition, "container_definitions", None) or []:
        if container.get("name") == name:
            return dict(container)
    return {}


def _release(backend: Any, task: Any, state: TaskSim) -> None:
    if state.instance_id is not None:
        instance = backend.container_instances.get(task.cluster_name, {}).get(state.instance_id)
        if instance is not None and task.resource_requirements is not None:
            backend.update_container_instance_resources(instance, task.resource_requirements, removing=True)
        state.instance_id = None
    if state.eni_id is not None:
        with contextlib.suppress(Exception):  # the ENI may be gone already; nothing else depends on it
            ec2_backends[task._account_id][task.region_name].delete_network_interface(state.eni_id)
        for attachment in task.attachments:
            attachment["status"] = "DELETED"
        state.eni_id = None


def prune_stopped(backend: Any, moment: float) -> None:
    for cluster_tasks in backend.tasks.values():
        for arn, task in list(cluster_tasks.items()):
            state = sim(task)
            stopped = state.stopped_monotonic if state is not None else None
            if stopped is not None and moment - stopped > STOPPED_TASK_RETENTION_SECONDS:
                del cluster_tasks[arn]


def request_stop(task: Any, code: str, reason: str) -> None:
    """desiredStatus STOPPED now; the task stops at the next step."""
    state = sim(task)
    if state is None or not live(task):
        return
    task.desired_status = STOPPED
    task.stopping_at = utcnow()
    if state.stop_code is None:
        state.stop_code, state.stop_reason = code, reason


def service_tasks(backend: Any, service: Any) -> list[Any]:
    found = []
    for task in backend.tasks.get(service.cluster_name, {}).values():
        state = sim(task)
        if state is not None and state.service is service:
            found.append(task)
    return found


# ------------------------------------------------------------------------------------------- starting


def new_service_task(
    backend: Any, cluster: Any, service: Any, definition: Any, from_deployment: dict[str, Any], instance: Any,
    requirements: dict[str, Any], at: datetime,
) -> Any:
    """A task of ``service``'s deployment, PROVISIONING, on ``instance`` (None: Fargate)."""
    # A stand-in definition without awsvpc: the ENI is created below (moto's Task would crash on some VPCs).
    stand_in = types.SimpleNamespace(
        arn=definition.arn, network_mode="bridge", container_definitions=definition.container_definitions
    )
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    tags: list[dict[str, str]] = []
    if service.propagate_tags == "SERVICE":
        tags = copy.deepcopy(service.tags or [])
    elif service.propagate_tags == "TASK_DEFINITION":
        tags = copy.deepcopy(definition.tags or [])
    task = Task(
        cluster,
        stand_in,  # type: ignore[arg-type]
        instance.container_instance_arn if instance is not None else None,
        requirements,
        backend=backend,
        group=f"service:{service.name}",
        launch_type=service.launch_type or "",
        overrides={},
        started_by=from_deployment["id"],
        tags=tags,
        platform_version=service.platform_version,
        capacity_provider_name=strategy[0].get("capacityProvider") if strategy else None,
    )
    task.id = uuid.UUID(int=mock_random.getrandbits(128)).hex
    crash = None
    for container in definition.container_definitions:
        crash = crash or crash_reason(container, _environment(container, {}))
    state = TaskSim(service=service, deployment_id=from_deployment["id"], crash=crash, run_steps=0, exit_codes={})
    _adopt(task, definition, state, at)
    if instance is not None:
        backend.update_container_instance_resources(instance, requirements)
        state.instance_id = instance.container_instance_arn.split("/")[-1]
    if definition.network_mode == "awsvpc":
        _attach_eni(task, state, with_security_groups(service.network_configuration or {}))
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    return task


def _attach_eni(task: Any, state: TaskSim, network: dict[str, Any]) -> None:
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
    state.eni_id = eni.id
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


def _adopt(task: Any, definition: Any, state: TaskSim, at: datetime) -> None:
    """Put a moto Task under the scheduler: PROVISIONING, every container, timestamps."""
    task._transitions = []  # freeze moto's describe-driven state machine for this task
    task.last_status = PROVISIONING
    task.desired_status = RUNNING
    task.created_at = at
    task.version = 1
    task.health_status = "UNKNOWN"
    task.cpu = definition.cpu
    task.memory = definition.memory
    task.started_at = None
    task.stopped_at = None
    task.stopping_at = None
    task.stop_code = None
    task.containers = [_SimContainer(task, dict(d)) for d in definition.container_definitions]
    if task.attachments and task.attachments[0].get("type") == "ElasticNetworkInterface":
        details = {d["name"]: d["value"] for d in task.attachments[0].get("details", [])}
        state.eni_id = details.get("networkInterfaceId")
        for container in task.containers:
            container.network_interfaces = [{"attachmentId": task.attachments[0]["id"],
                                             "privateIpv4Address": details.get("privateIPv4Address")}]
    set_sim(task, state)


def adopt_standalone(backend: Any, task: Any, overrides: dict[str, Any] | None, at: datetime) -> None:
    """Put a task moto started for RunTask under the scheduler (run steps and exit codes from the environment)."""
    definition = task_definition(backend, task.task_definition_arn)
    crash = None
    run_steps: int | None = None
    exit_codes: dict[str, int] = {}
    for container in definition.container_definitions:
        env = _environment(container, overrides)
        crash = crash or crash_reason(container, env)
        steps = _int_env(env, "SANDBOX_RUN_STEPS")
        if steps is not None:
            run_steps = max(run_steps or 0, steps)
        exit_codes[str(container.get("name"))] = _int_env(env, "SANDBOX_EXIT_CODE") or 0
    state = TaskSim(service=None, deployment_id=None, crash=crash,
                    run_steps=max(0, run_steps if run_steps is not None else 2), exit_codes=exit_codes)
    if task.container_instance_arn:
        state.instance_id = task.container_instance_arn.split("/")[-1]
    _adopt(task, definition, state, at)
