"""The ECS side of an EC2 instance: the container instance it registered as, and draining it.

Set DRAINING, ECS replaces the instance's service tasks elsewhere within each service's deployment configuration
(minimumHealthyPercent, maximumPercent) and then stops them; standalone tasks (RunTask) run on until they stop. An
instance is drained when it runs no task at all (running or pending): only then may it terminate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.aws.ecs import EcsApi


@dataclass(frozen=True)
class ContainerInstance:
    cluster: str
    arn: str
    ec2_instance_id: str
    status: str  # ACTIVE | DRAINING | REGISTERING | ...
    agent_connected: bool
    running: int
    pending: int

    @property
    def idle(self) -> bool:
        return self.running + self.pending == 0

    @property
    def ready(self) -> bool:
        """Registered, its agent connected, taking tasks."""
        return self.status == "ACTIVE" and self.agent_connected


def of(raw: dict[str, Any], cluster: str) -> ContainerInstance:
    return ContainerInstance(cluster, str(raw["containerInstanceArn"]), str(raw.get("ec2InstanceId", "")),
                             str(raw.get("status", "")), bool(raw.get("agentConnected")),
                             int(raw.get("runningTasksCount") or 0), int(raw.get("pendingTasksCount") or 0))


def find(ecs: EcsApi, clusters: Iterable[str]) -> dict[str, ContainerInstance]:
    """EC2 instance id -> its container instance, over `clusters` (missing clusters have none)."""
    found: dict[str, ContainerInstance] = {}
    for cluster in dict.fromkeys(clusters):
        arns = ecs.list_container_instances(cluster)
        for raw in ecs.describe_container_instances(cluster, arns) if arns else []:
            instance = of(raw, cluster)
            found[instance.ec2_instance_id] = instance
    return found


def drain(ecs: EcsApi, instances: Iterable[ContainerInstance]) -> None:
    """Set the ACTIVE ones DRAINING (per cluster, ten per call)."""
    by_cluster: dict[str, list[str]] = {}
    for instance in instances:
        if instance.status == "ACTIVE":
            by_cluster.setdefault(instance.cluster, []).append(instance.arn)
    for cluster, arns in sorted(by_cluster.items()):
        ecs.drain_container_instances(cluster, arns)


def tasks_on(ecs: EcsApi, instance: ContainerInstance) -> list[str]:
    """The tasks still on a container instance, for people: "task 1a2b... of service web (RUNNING)"."""
    arns = ecs.list_tasks(instance.cluster, container_instance=instance.arn)
    out = []
    for task in ecs.describe_tasks(instance.cluster, arns) if arns else []:
        group = str(task.get("group") or "")
        owner = f"service {group.split(':', 1)[1]}" if group.startswith("service:") else \
            f"standalone task {group or task.get('startedBy') or ''}".rstrip() + " (ECS does not move it)"
        task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
        out.append(f"task {task_id} of {owner} ({task.get('lastStatus')})")
    return out
