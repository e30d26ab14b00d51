"""Read the container instances of clusters, as the ECS console lists them: EC2 instance id, type, whether the agent
is connected, status (ACTIVE, DRAINING...), running and pending tasks, remaining CPU and memory. For `status`."""

from __future__ import annotations

from typing import Any

from reconciler.aws.ecs import EcsApi


def _remaining(instance: dict[str, Any], name: str) -> int | None:
    for resource in instance.get("remainingResources") or []:
        if resource.get("name") == name:
            return int(resource.get("integerValue") or 0)
    return None


def summary(instance: dict[str, Any]) -> dict[str, Any]:
    attributes = {a.get("name"): a.get("value") for a in instance.get("attributes") or []}
    row = {
        "ec2InstanceId": instance.get("ec2InstanceId"),
        "instanceType": attributes.get("ecs.instance-type"),
        "agentConnected": bool(instance.get("agentConnected")),
        "status": instance.get("status"),
        "runningTasks": int(instance.get("runningTasksCount") or 0),
        "pendingTasks": int(instance.get("pendingTasksCount") or 0),
        "remainingCpu": _remaining(instance, "CPU"),
        "remainingMemory": _remaining(instance, "MEMORY"),
        "capacityProvider": instance.get("capacityProviderName"),
    }
    return {k: v for k, v in row.items() if v is not None}


def read(ecs: EcsApi, clusters: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Cluster name -> its container instances (ACTIVE and DRAINING), oldest registration first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for cluster in clusters:
        arns = ecs.list_container_instances(cluster)
        described = ecs.describe_container_instances(cluster, arns) if arns else []
        described.sort(key=lambda i: str(i.get("registeredAt") or ""))
        out[cluster] = [summary(i) for i in described]
    return out
