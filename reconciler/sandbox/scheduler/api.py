"""The scheduler's place in moto: the listener the ECS fixes report to, and the task calls it answers.

* ``SchedulerListener`` (``sandbox.events``): every ECS request first runs the steps that are due, under the
  scheduler's lock; services created, updated and deleted get their deployments.
* ListTasks filters by ``serviceName`` and lists desiredStatus RUNNING unless asked for STOPPED, as AWS does;
  StopTask stops a scheduled task at the next step (stopCode UserInitiated); RunTask puts its tasks under the
  scheduler and makes ``clientToken`` idempotent; moto's resource requirements count task-level memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox import patching
from reconciler.sandbox.scheduler.clock import advance, get_pace
from reconciler.sandbox.scheduler.deployments import on_service_created, on_service_deleted, on_service_updated
from reconciler.sandbox.scheduler.placement import resource_requirements
from reconciler.sandbox.scheduler.state import LOCK, RUNNING, scheduled, sim
from reconciler.sandbox.scheduler.tasks import adopt_standalone, request_stop
from reconciler.sandbox.scheduler.wording import REASON_NO_INSTANCES, STOP_BY_USER

__all__ = ["SchedulerListener", "install_patches"]

_OWNER = "scheduler"
_RUN_TOKENS = "_sandbox_run_tokens"  # RunTask clientToken -> task ARNs, on the ECS backend


class SchedulerListener:
    """What the ECS fixes tell the scheduler (``sandbox.events.Listener``)."""

    drains_services = True  # DRAINING services turn INACTIVE in the step that finds none of their tasks left

    @contextlib.contextmanager
    def request(self, backend: Any) -> Iterator[None]:
        with LOCK:
            advance(backend)
            yield

    def service_created(self, backend: Any, service: Any) -> None:
        with LOCK:
            on_service_created(service)

    def service_updated(self, backend: Any, service: Any, changes: dict[str, Any]) -> None:
        with LOCK:
            if scheduled(service):
                on_service_updated(backend, service, changes)

    def service_deleted(self, backend: Any, service: Any) -> None:
        with LOCK:
            if scheduled(service):
                on_service_deleted(backend, service)

    def step_seconds(self) -> float:
        return get_pace()


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
                                        desiredStatus or RUNNING)
            if service_name:
                name = service_name.split("/")[-1]
                tasks = [t for t in tasks if t.group == f"service:{name}"]
            return tasks

        return list_tasks

    patching.patch(EC2ContainerServiceBackend, "list_tasks", make, owner=_OWNER)


def _patch_stop_task() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def stop_task(self: Any, cluster_str: str, task_str: str, reason: str | None) -> Any:
            cluster = self._get_cluster(cluster_str)
            task_id = task_str.split("/")[-1]
            for arn, task in self.tasks.get(cluster.name, {}).items():
                if arn.endswith(task_id) and sim(task) is not None:
                    request_stop(task, "UserInitiated", reason or STOP_BY_USER)
                    return task
            return original(self, cluster_str, task_str, reason)

        return stop_task

    patching.patch(EC2ContainerServiceBackend, "stop_task", make, owner=_OWNER)


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
                adopt_standalone(backend, task, overrides, at)
            if token:
                tokens[cluster.name, token] = [t.task_arn for t in placed]
            failures = [{"reason": "RESOURCE:MEMORY"} for _ in range(count - len(placed))]
            return ActionResult({"tasks": placed, "failures": failures})

        return run_task

    patching.patch(EC2ContainerServiceResponse, "run_task", make, owner=_OWNER)


def install_patches() -> None:
    _patch_list_tasks()
    _patch_stop_task()
    _patch_run_task()
    patching.patch_static(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", resource_requirements,
                          owner=_OWNER)
