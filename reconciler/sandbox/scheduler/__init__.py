"""A time-based ECS scheduler for the sandbox: services roll out, tasks start, crash, run and stop like in ECS.

Stock moto never runs a deployment (moto-notes 1.1, 5): services show fixed counts, tasks are never started for
services, one-off tasks advance one state per DescribeTasks. This package replaces that with a small simulation
of the ECS service scheduler and task lifecycle, installed process-wide (under ``moto.mock_aws()`` and in a moto
server alike). It learns about services only through ``sandbox.events`` (the ECS fixes report to it) and never
imports the fixes.

Modules, one concern each (imports go downwards):

* ``api``: the listener the ECS fixes report to, and moto's task calls (ListTasks, StopTask, RunTask);
* ``clock``: the pace, and running the steps that are due before each ECS request;
* ``rollout``: one step of the service scheduler (start, stop, circuit breaker, rollback, completion);
* ``deployments``: deployments created, replaced and scaled by CreateService/UpdateService/DeleteService;
* ``tasks``: the task lifecycle, crash markers, one-off tasks;
* ``placement``: Fargate or container instances (the EC2 agent stand-in belongs beside it);
* ``state``, ``wording``: the state kept on moto's objects, and ECS's words.

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
2. Events (newest first, at most 100), in ECS's wording (``wording``).
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

from reconciler.sandbox import events
from reconciler.sandbox.scheduler.api import SchedulerListener, install_patches
from reconciler.sandbox.scheduler.clock import MAX_CATCH_UP_STEPS, PACE_ENV, advance, get_pace, set_pace
from reconciler.sandbox.scheduler.rollout import circuit_breaker_threshold
from reconciler.sandbox.scheduler.state import LOCK
from reconciler.sandbox.scheduler.tasks import STOPPED_TASK_RETENTION_SECONDS, crash_reason

__all__ = [
    "MAX_CATCH_UP_STEPS",
    "PACE_ENV",
    "STOPPED_TASK_RETENTION_SECONDS",
    "advance",
    "circuit_breaker_threshold",
    "crash_reason",
    "get_pace",
    "install",
    "set_pace",
]

_listener = SchedulerListener()


def install() -> None:
    """Install the scheduler (idempotent): patch moto's task calls and listen to the ECS fixes."""
    with LOCK:
        install_patches()
        events.attach(_listener)
