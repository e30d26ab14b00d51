"""Read Auto Scaling groups: the group as CreateAutoScalingGroup input names it, its tags, and its instances
(lifecycle state, the launch template version and instance type each was launched with, scale-in protection), which
tell the planner which instances a change replaces."""

from __future__ import annotations

from typing import Any

from reconciler.aws.autoscaling import AutoScalingApi
from reconciler.aws.ec2 import Ec2Api
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map

# Lifecycle states of an instance on its way out of a group (it no longer counts).
LEAVING = ("Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated", "Detaching", "Detached")


def group_resource(group: dict[str, Any], subnets: dict[str, str] | None = None) -> LiveResource:
    name = str(group["AutoScalingGroupName"])
    instances = [dict(i) for i in group.get("Instances") or []]
    for instance in instances:
        if subnets and instance.get("InstanceId") in subnets:
            instance["SubnetId"] = subnets[instance["InstanceId"]]
    detail = {"instances": instances}
    return LiveResource(Kind.AUTO_SCALING_GROUP, name, str(group.get("AutoScalingGroupARN", "")), dict(group),
                        tags_to_map(group.get("Tags")), detail=detail)


def instance_ids(group: dict[str, Any]) -> list[str]:
    return [str(i["InstanceId"]) for i in group.get("Instances") or [] if i.get("LifecycleState") not in LEAVING]


def read(state: LiveState, names: list[str], autoscaling: AutoScalingApi, ec2: Ec2Api) -> None:
    """The groups, with the subnet of each instance (one EC2 read for all of them: a subnet the group no longer
    names means the instance is replaced)."""
    wanted = [n for n in names if n not in state.auto_scaling_groups]
    if not wanted:
        return
    groups = autoscaling.describe_groups(wanted)
    ids = [i for group in groups.values() for i in instance_ids(group)]
    subnets = ec2.instance_subnets(ids) if ids else {}
    for name, group in groups.items():
        state.auto_scaling_groups[name] = group_resource(group, subnets)
