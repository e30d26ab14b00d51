"""Thin, typed Auto Scaling calls. Groups are read with their instances (id, lifecycle state, launch template
version, instance type, scale-in protection) and tags."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog

from reconciler.aws.errors import all_pages, call
from reconciler.aws.service import LazyApi
from reconciler.errors import AwsError

DESCRIBE_BATCH = 50  # names per DescribeAutoScalingGroups call
# IAM is eventually consistent with EC2: for several seconds after CreateInstanceProfile (or AddRoleToInstanceProfile)
# Auto Scaling refuses a launch template naming the profile ("ValidationError: You must use a valid fully-formed
# launch template. Value (...) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile
# name"). Nothing was created: the call is made again until the profile is seen, for at most this long (as
# Terraform does for this very error).
IAM_PROPAGATION_SECONDS = 120.0
IAM_NOT_PROPAGATED = "Invalid IAM Instance Profile"

log = structlog.get_logger()


class AutoScalingApi(LazyApi):
    sleep: Callable[[float], None] = staticmethod(time.sleep)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def describe_groups(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Groups by name; missing ones (and ones being deleted) are absent."""
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(names), DESCRIBE_BATCH):
            batch = names[i : i + DESCRIBE_BATCH]
            groups = all_pages(self.client, "describe_auto_scaling_groups", "AutoScalingGroups",
                               "Auto Scaling groups", AutoScalingGroupNames=batch)
            for group in groups:
                if not group.get("Status"):  # "Delete in progress" while it is being deleted
                    found[group["AutoScalingGroupName"]] = group
        return found

    def describe_group(self, name: str) -> dict[str, Any] | None:
        return self.describe_groups([name]).get(name)

    def groups_tagged(self, key: str, value: str) -> list[dict[str, Any]]:
        """Every group carrying tag `key`=`value` (a filter AWS applies: one paged call, not one per group)."""
        groups: list[dict[str, Any]] = all_pages(
            self.client, "describe_auto_scaling_groups", "AutoScalingGroups", "Auto Scaling groups",
            Filters=[{"Name": f"tag:{key}", "Values": [value]}])
        return [g for g in groups if not g.get("Status")]

    def create_group(self, name: str, **kwargs: Any) -> None:
        self._while_iam_propagates(name, lambda: call(self.client.create_auto_scaling_group,
                                                      f"AutoScalingGroup/{name}", AutoScalingGroupName=name,
                                                      **kwargs))

    def update_group(self, name: str, **kwargs: Any) -> None:
        self._while_iam_propagates(name, lambda: call(self.client.update_auto_scaling_group,
                                                      f"AutoScalingGroup/{name}", AutoScalingGroupName=name,
                                                      **kwargs))

    def _while_iam_propagates(self, name: str, write: Callable[[], None]) -> None:
        """Make `write` again while Auto Scaling does not see the instance profile yet (see IAM_PROPAGATION_SECONDS)."""
        deadline = self.clock() + IAM_PROPAGATION_SECONDS
        delay = 1.0
        while True:
            try:
                write()
                return
            except AwsError as exc:
                if exc.code != "ValidationError" or IAM_NOT_PROPAGATED not in exc.aws_message:
                    raise
                if self.clock() + delay > deadline:
                    raise AwsError(exc.operation, exc.code, f"{exc.aws_message} (still refused after "
                                   f"{IAM_PROPAGATION_SECONDS:.0f}s: does the instance profile exist, with a role?)",
                                   exc.resource) from exc
                log.warning("Waiting for IAM: Auto Scaling does not see the instance profile yet",
                            resource=f"AutoScalingGroup/{name}", retry_in=delay)
                self.sleep(delay)
                delay = min(delay * 2, 10.0)

    def delete_group(self, name: str, force: bool = False) -> None:
        """Delete the group; `force` terminates its instances with it, whatever their scale-in protection."""
        try:
            call(self.client.delete_auto_scaling_group, f"AutoScalingGroup/{name}", AutoScalingGroupName=name,
                 ForceDelete=force)
        except AwsError as exc:
            if exc.code == "ValidationError" and "not found" in exc.aws_message:
                return  # (a resent request whose response was lost: it is deleted)
            raise

    def put_tags(self, name: str, tags: list[dict[str, Any]]) -> None:
        """Create or update tags: {Key, Value, PropagateAtLaunch} each."""
        if tags:
            call(self.client.create_or_update_tags, f"AutoScalingGroup/{name}", Tags=[
                {"ResourceId": name, "ResourceType": "auto-scaling-group", **t} for t in tags])

    def delete_tags(self, name: str, keys: list[str]) -> None:
        if keys:
            call(self.client.delete_tags, f"AutoScalingGroup/{name}", Tags=[
                {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k} for k in sorted(keys)])

    def terminate_instance(self, name: str, instance_id: str) -> None:
        """Terminate one instance of group `name` and decrement its desired capacity (instance scale-in
        protection does not apply to this call, by AWS's design)."""
        call(self.client.terminate_instance_in_auto_scaling_group, f"AutoScalingGroup/{name}",
             InstanceId=instance_id, ShouldDecrementDesiredCapacity=True)
