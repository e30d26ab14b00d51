"""Where tasks run: Fargate, or an ACTIVE container instance with room (EC2 and EC2 capacity providers).

Container instances are moto's (``RegisterContainerInstance``); placement spreads service tasks round robin
over the ACTIVE instances that fit, preferring the ones running the fewest tasks. The EC2 agent stand-in
(instances that register themselves) belongs beside this module.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.scheduler.state import ServiceSim
from reconciler.sandbox.scheduler.wording import REASON_NO_INSTANCES, REASON_NO_ROOM

__all__ = ["draining_instance_ids", "place", "placement_reason", "resource_requirements", "uses_fargate"]

_FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def uses_fargate(service: Any) -> bool:
    if service.launch_type == "FARGATE":
        return True
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    return any(item.get("capacityProvider") in _FARGATE_PROVIDERS for item in strategy)


def _active_instances(backend: Any, cluster_name: str) -> list[Any]:
    return [i for i in backend.container_instances.get(cluster_name, {}).values() if i.status == "ACTIVE"]


def draining_instance_ids(backend: Any, cluster_name: str) -> set[str]:
    instances = backend.container_instances.get(cluster_name, {})
    return {key for key, instance in instances.items() if instance.status != "ACTIVE"}


def placement_reason(backend: Any, cluster_name: str) -> str:
    active = _active_instances(backend, cluster_name)
    if not active:
        return REASON_NO_INSTANCES
    return REASON_NO_ROOM.format(instance=active[0].id)


def place(backend: Any, service: Any, sim: ServiceSim, requirements: dict[str, Any]) -> Any:
    """Round robin over ACTIVE instances with room, preferring the ones running the fewest tasks (spread)."""
    instances = sorted(_active_instances(backend, service.cluster_name), key=lambda i: i.registered_at)
    order = [instances[(sim.next_instance + k) % len(instances)] for k in range(len(instances))]
    fitting = [i for i in order if backend._can_be_placed(i, requirements)]
    if not fitting:
        return None
    chosen = min(fitting, key=lambda i: int(i.running_tasks_count))
    sim.next_instance = (instances.index(chosen) + 1) % len(instances)
    return chosen


def resource_requirements(task_definition: Any) -> dict[str, Any]:
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
