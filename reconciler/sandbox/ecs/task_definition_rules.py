"""What RegisterTaskDefinition refuses, with ECS's error codes and wording, checked on the request as sent.

Each rule is a documented ECS constraint; the README's sandbox section lists them with their sources. This
module imitates ECS on its own: it shares no table with the product's offline validation, so a wrong table
in either shows up as a disagreement instead of hiding in both.
"""

from __future__ import annotations

import re
from typing import Any

from moto.ecs.exceptions import EcsClientException

__all__ = ["FARGATE_MEMORY_BY_CPU", "check_register_task_definition", "cpu_units", "memory_mib"]


def _steps(low: int, high: int, step: int) -> frozenset[int]:
    return frozenset(range(low, high + 1, step))


# Fargate task sizes: CPU units -> the memory values (MiB) allowed with it. AWS: RegisterTaskDefinition API
# reference ("memory"), and the developer guide's "Task CPU and memory" table.
FARGATE_MEMORY_BY_CPU: dict[int, frozenset[int]] = {
    256: frozenset({512, 1024, 2048}),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}

_UNITS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
# A private ECR registry (public.ecr.aws needs no credentials, so no execution role).
_PRIVATE_ECR = re.compile(r"^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/", re.IGNORECASE)


def _amount(value: Any, unit: str, factor: int) -> int | None:
    """``256``, ``"256"``, ``"1 vCPU"`` / ``"0.5 GB"`` as an integer (CPU units or MiB); None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    match = _UNITS.match(str(value))
    if match is None:
        return None
    number, suffix = float(match.group(1)), match.group(2).lower()
    if suffix == "":
        amount = number
    elif suffix == unit:
        amount = number * factor
    else:
        return None
    if amount <= 0 or amount != int(amount):
        return None
    return int(amount)


def cpu_units(value: Any) -> int | None:
    """CPU units from ``256``, ``"256"`` or ``"0.25 vCPU"``; None when not a number of units."""
    return _amount(value, "vcpu", 1024)


def memory_mib(value: Any) -> int | None:
    """MiB from ``512``, ``"512"`` or ``"0.5 GB"``; None when not a number of units."""
    return _amount(value, "gb", 1024)


def _containers(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in request.get("containerDefinitions") or [] if isinstance(c, dict)]


def check_register_task_definition(request: dict[str, Any]) -> None:
    """Raise the ClientException ECS answers for ``request``, or return when ECS would accept it."""
    containers = _containers(request)
    if not containers:
        raise EcsClientException("Container list cannot be empty.")
    cpu = cpu_units(request["cpu"]) if request.get("cpu") is not None else None
    if request.get("cpu") is not None and cpu is None:
        raise EcsClientException("Invalid 'cpu' setting for task.")
    memory = memory_mib(request["memory"]) if request.get("memory") is not None else None
    if request.get("memory") is not None and memory is None:
        raise EcsClientException("Invalid 'memory' setting for task.")

    if "FARGATE" in (request.get("requiresCompatibilities") or []):
        _check_fargate(request, containers, cpu, memory)
    _check_port_mappings(request.get("networkMode"), containers)
    if memory is not None:
        for container in containers:
            hard = container.get("memory")
            if isinstance(hard, int) and not isinstance(hard, bool) and hard > memory:
                raise EcsClientException(
                    f"The 'memory' setting for container '{container.get('name')}' is greater than for the task."
                )


def _check_fargate(request: dict[str, Any], containers: list[dict[str, Any]], cpu: int | None,
                   memory: int | None) -> None:
    if request.get("networkMode") != "awsvpc":
        raise EcsClientException("Fargate only supports network mode \u2018awsvpc\u2019.")
    for field, value in (("cpu", cpu), ("memory", memory)):
        if value is None:
            raise EcsClientException(f"Fargate requires that '{field}' be defined at the task level.")
    if memory not in FARGATE_MEMORY_BY_CPU.get(cpu or 0, frozenset()):
        raise EcsClientException(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values."
        )
    if request.get("executionRoleArn"):
        return
    if any(_PRIVATE_ECR.match(str(c.get("image") or "")) for c in containers):
        raise EcsClientException("Fargate requires task definition to have execution role ARN to support ECR images.")
    for container in containers:
        driver = (container.get("logConfiguration") or {}).get("logDriver")
        if driver == "awslogs":
            raise EcsClientException(
                "Fargate requires task definition to have execution role ARN to support log driver awslogs."
            )


def _check_port_mappings(network_mode: Any, containers: list[dict[str, Any]]) -> None:
    if network_mode not in ("awsvpc", "host"):
        return
    for container in containers:
        for mapping in container.get("portMappings") or []:
            if not isinstance(mapping, dict) or "hostPort" not in mapping or "containerPort" not in mapping:
                continue
            if mapping["hostPort"] != mapping["containerPort"]:
                raise EcsClientException(
                    f"When networkMode={network_mode}, the host ports and container ports in port mappings "
                    "must match."
                )
