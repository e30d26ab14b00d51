"""What CreateService and UpdateService refuse, with ECS's error codes and wording, checked on the request
as sent. The README's sandbox section lists each rule with its source."""

from __future__ import annotations

from typing import Any

from moto.ecs.exceptions import InvalidParameterException
from moto.elbv2.models import elbv2_backends

__all__ = ["check_create_service", "check_update_service"]

# ECS's answer when it cannot find the target group (its wording blames the service role: it looked the
# group up with that role).
TARGET_GROUP_NOT_FOUND = (
    "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role "
    "being passed has the proper permissions."
)
TARGET_GROUP_WITHOUT_LOAD_BALANCER = (
    "The target group with targetGroupArn {arn} does not have an associated load balancer."
)
# No public sample of ECS's wording for a negative desiredCount was found; the code is ECS's usual one.
NEGATIVE_DESIRED_COUNT = "Invalid desiredCount: {count}. desiredCount must be 0 or greater."


def check_create_service(backend: Any, request: dict[str, Any]) -> None:
    _check_desired_count(request)
    _check_load_balancers(backend, request)


def check_update_service(backend: Any, request: dict[str, Any]) -> None:
    _check_desired_count(request)
    _check_load_balancers(backend, request)


def _check_desired_count(request: dict[str, Any]) -> None:
    count = request.get("desiredCount")
    if isinstance(count, int) and not isinstance(count, bool) and count < 0:
        raise InvalidParameterException(NEGATIVE_DESIRED_COUNT.format(count=count))


def _check_load_balancers(backend: Any, request: dict[str, Any]) -> None:
    entries = [e for e in request.get("loadBalancers") or [] if isinstance(e, dict) and e.get("targetGroupArn")]
    if not entries:
        return
    target_groups = elbv2_backends[backend.account_id][backend.region_name].target_groups
    for entry in entries:
        arn = str(entry["targetGroupArn"])
        target_group = target_groups.get(arn)
        if target_group is None:
            raise InvalidParameterException(TARGET_GROUP_NOT_FOUND)
        if not target_group.load_balancer_arns:
            raise InvalidParameterException(TARGET_GROUP_WITHOUT_LOAD_BALANCER.format(arn=arn))
