"""Where tasks run: Fargate, or an ACTIVE container instance with room (EC2 and EC2 capacity providers).

Container instances are moto's (``RegisterContainerInstance``, or the agent stand-in: ``agent``); placement spreads
service tasks round robin over the ACTIVE instances that fit, preferring the ones running the fewest tasks. A task
fits where its CPU, its memory and its static host ports are free: task-level cpu and memory when the task
definition sets them (ECS reserves those), else the containers' cpu and memory (or memoryReservation); host ports
in bridge mode only when hostPort is set and not 0 (0 or none: a dynamic port), in host mode every containerPort,
in awsvpc none (each task has its own network interface). A service whose capacity provider strategy names EC2
capacity providers is placed only on their instances.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.scheduler.state import ServiceSim
from reconciler.sandbox.scheduler.wording import REASON_NO_CPU, REASON_NO_INSTANCES, REASON_NO_ROOM, REASON_PORT

__all__ = ["candidates", "draining_instance_ids", "place", "placement_reason", "resource_requirements", "uses_fargate"]

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


def _providers(service: Any) -> set[str]:
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    return {str(item.get("capacityProvider")) for item in strategy} - set(_FARGATE_PROVIDERS)


def candidates(backend: Any, service: Any) -> list[Any]:
    """The ACTIVE container instances the service may use (those of its capacity providers, when it names some)."""
    active = _active_instances(backend, service.cluster_name)
    providers = _providers(service)
    if providers:
        active = [i for i in active if getattr(i, "capacity_provider_name", None) in providers]
    return active


def _remaining(instance: Any) -> tuple[int, int, list[str]]:
    found = {r.get("name"): r for r in instance.remaining_resources}
    return (int(found.get("CPU", {}).get("integerValue") or 0), int(found.get("MEMORY", {}).get("integerValue") or 0),
            list(found.get("PORTS", {}).get("stringSetValue") or []))


def placement_reason(backend: Any, service: Any, requirements: dict[str, Any]) -> str:
    """Why no instance fits, as ECS words it for the closest match (the instance with the most memory left)."""
    active = candidates(backend, service)
    if not active:
        return REASON_NO_INSTANCES
    closest = max(active, key=lambda i: _remaining(i)[1])
    cpu, _, ports = _remaining(closest)
    if any(str(p) in ports for p in requirements.get("PORTS") or []):
        return REASON_PORT.format(instance=closest.id)
    if int(requirements.get("CPU") or 0) > cpu:
        return REASON_NO_CPU.format(instance=closest.id)
    return REASON_NO_ROOM.format(instance=closest.id)


def place(backend: Any, service: Any, sim: ServiceSim, requirements: dict[str, Any]) -> Any:
    """Round robin over ACTIVE instances with room, preferring the ones running the fewest tasks (spread)."""
    instances = sorted(candidates(backend, service), key=lambda i: i.registered_at)
    order = [instances[(sim.next_instance + k) % len(instances)] for k in range(len(instances))]
    fitting = [i for i in order if backend._can_be_placed(i, requirements)] if instances else []
    if not fitting:
        return None
    chosen = min(fitting, key=lambda i: int(i.running_tasks_count))
    sim.next_instance = (instances.index(chosen) + 1) % len(instances)
    return chosen


def _units(value: Any) -> int:
    try:
        return int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return 0


def resource_requirements(task_definition: Any) -> dict[str, Any]:
    """What a task reserves on a container instance (see the module docstring). Fixes moto, which counts a
    dynamic (0) host port as a port, host ports in awsvpc, and not task-level cpu and memory (moto-notes 1.8b)."""
    requirements: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    network_mode = getattr(task_definition, "network_mode", None) or "bridge"
    cpu = memory = 0
    for container in task_definition.container_definitions:
        cpu += _units(container.get("cpu", container.get("Cpu")))
        for key in ("memory", "Memory", "memoryReservation", "MemoryReservation"):
            if container.get(key) is not None:
                memory += _units(container.get(key))
                break
        for mapping in container.get("portMappings", container.get("PortMappings", [])) or []:
            host = mapping.get("hostPort", mapping.get("HostPort"))
            if network_mode == "host":
                host = host or mapping.get("containerPort", mapping.get("ContainerPort"))
            if network_mode in ("bridge", "host") and host:
                key = "PORTS_UDP" if str(mapping.get("protocol", "tcp")).lower() == "udp" else "PORTS"
                requirements[key].append(host)
    requirements["CPU"] = _units(getattr(task_definition, "cpu", None)) or cpu
    requirements["MEMORY"] = _units(getattr(task_definition, "memory", None)) or memory
    return requirements
