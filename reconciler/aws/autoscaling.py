"""Thin, typed Auto Scaling calls. Groups are read with their instances (id, lifecycle state, launch template
version, instance type, scale-in protection) and tags."""

from __future__ import annotations

from typing import Any

from reconciler.aws.errors import all_pages, call
from reconciler.aws.service import LazyApi
from reconciler.errors import AwsError

DESCRIBE_BATCH = 50  # names per DescribeAutoScalingGroups call


class AutoScalingApi(LazyApi):
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
        call(self.client.create_auto_scaling_group, f"AutoScalingGroup/{name}", AutoScalingGroupName=name, **kwargs)

    def update_group(self, name: str, **kwargs: Any) -> None:
        call(self.client.update_auto_scaling_group, f"AutoScalingGroup/{name}", AutoScalingGroupName=name, **kwargs)

    def delete_group(self, name: str) -> None:
        try:
            call(self.client.delete_auto_scaling_group, f"AutoScalingGroup/{name}", AutoScalingGroupName=name)
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
