"""What ECS fills in when a request leaves it out, shared by the ECS fixes and the scheduler."""

from __future__ import annotations

from typing import Any

__all__ = ["default_deployment_configuration", "with_security_groups"]


def default_deployment_configuration(scheduling_strategy: str | None) -> dict[str, Any]:
    """The deploymentConfiguration AWS reports for a service created without one."""
    daemon = scheduling_strategy == "DAEMON"
    return {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 100 if daemon else 200,
        "minimumHealthyPercent": 0 if daemon else 100,
    }


def with_security_groups(network: Any) -> Any:
    """An awsvpc network configuration with ``securityGroups`` (optional in ECS: the VPC's default group is
    used) made explicit as an empty list, which is what moto's code expects."""
    awsvpc = network.get("awsvpcConfiguration") if isinstance(network, dict) else None
    if isinstance(awsvpc, dict) and "securityGroups" not in awsvpc:
        return {**network, "awsvpcConfiguration": {**awsvpc, "securityGroups": []}}
    return network
