"""Delete the EC2 capacity that left git (--prune), in reverse order of creation: capacity providers, then Auto Scaling
groups (their container instances drained first, then the instances terminated, then the group deleted), launch
templates, instance profiles (emptied first), roles (taken out of profiles, policies detached first). Ownership is
checked again right before each delete: a resource someone else took over since the plan is refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler.apply import container_instances as ci
from reconciler.apply.capacity_providers import delete_provider, wait_deleted
from reconciler.apply.context import ApplyContext, wait_until
from reconciler.apply.instance_profiles import delete_profile
from reconciler.apply.ownership import refuse_unless_ours
from reconciler.apply.roles import delete_role
from reconciler.errors import AwsError
from reconciler.live.auto_scaling_groups import LEAVING
from reconciler.model import capacity_refs
from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest
from reconciler.model.plan import ResourceChange
from reconciler.model.tags import tags_to_map


def delete_capacity_provider(change: ResourceChange, ctx: ApplyContext) -> str:
    name = change.key.name
    found = ctx.apis.ecs.describe_capacity_providers([name]).get(name)
    if found is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteCapacityProvider", tags_to_map(found.get("tags")), ctx)
    delete_provider(name, ctx)
    wait_deleted(name, ctx)
    return "deleted"


def _group_clusters(group: dict[str, Any], ctx: ApplyContext) -> list[str]:
    """The clusters a group's instances join, from its launch template's user data (ECS_CLUSTER)."""
    template = group.get("LaunchTemplate") or {}
    name = template.get("LaunchTemplateName") if isinstance(template, dict) else None
    if not name:
        return []
    versions = ctx.apis.ec2.describe_versions(str(name), [str(template.get("Version") or "$Default")])
    data = versions[0].get("LaunchTemplateData") or {} if versions else {}
    cluster = capacity_refs.user_data_cluster(capacity_refs.user_data_text(str(data.get("UserData") or "")))
    return [cluster] if cluster else []


def empty_and_delete_group(name: str, ctx: ApplyContext, m: Manifest | None = None) -> str:
    """Drain and deregister every container instance of the group, then delete it with its instances."""
    asg = ctx.apis.autoscaling
    group = asg.describe_group(name)
    if group is None:
        return "already gone"
    clusters = _group_clusters(group, ctx)
    if m is not None:
        from reconciler.apply.instance_roll import clusters_of

        clusters = list(dict.fromkeys([*clusters, *clusters_of(m, ctx)]))
    ids = [str(i["InstanceId"]) for i in group.get("Instances") or [] if i.get("LifecycleState") not in LEAVING]
    members = [member for i, member in ci.find(ctx.apis.ecs, clusters).items() if i in ids]
    ci.drain(ctx.apis.ecs, members)
    resource = f"AutoScalingGroup/{name}"
    deadline = time.monotonic() + ctx.rollout_timeout
    while True:
        busy = [b for i, b in ci.find(ctx.apis.ecs, clusters).items() if i in ids and not b.idle]
        if not busy:
            break
        if time.monotonic() > deadline:
            tasks = [t for b in busy for t in ci.tasks_on(ctx.apis.ecs, b)]
            raise AwsError("DrainContainerInstance", "Timeout",
                           f"{len(tasks)} task(s) would not move after {ctx.rollout_timeout:.0f}s: "
                           f"{'; '.join(tasks)}; nothing was terminated", resource)
        time.sleep(ctx.poll_seconds)
    for member in members:
        ctx.apis.ecs.deregister_container_instance(member.cluster, member.arn)
    # Every container instance is drained and deregistered: the group goes with its instances. (A desired capacity
    # of 0 would never terminate instances protected from scale in, as a capacity provider's managed termination
    # protection requires them to be; ForceDelete terminates them all.)
    asg.delete_group(name, force=True)
    wait_until(lambda: asg.describe_group(name) is None, ctx, "Delete", "group still being deleted", resource)
    drained = f" after draining {len(members)} container instance(s)" if members else ""
    return f"terminated {len(ids)} instance(s){drained} and deleted"


def delete_auto_scaling_group(change: ResourceChange, ctx: ApplyContext) -> str:
    group = ctx.apis.autoscaling.describe_group(change.key.name)
    if group is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteAutoScalingGroup", tags_to_map(group.get("Tags")), ctx)
    return empty_and_delete_group(change.key.name, ctx)


def delete_launch_template(change: ResourceChange, ctx: ApplyContext) -> str:
    template = ctx.apis.ec2.describe_launch_template(change.key.name)
    if template is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteLaunchTemplate", tags_to_map(template.get("Tags")), ctx)
    ctx.apis.ec2.delete_launch_template(change.key.name)
    return "deleted with its versions"


def delete_instance_profile(change: ResourceChange, ctx: ApplyContext) -> str:
    profile = ctx.apis.iam.get_instance_profile(change.key.name)
    if profile is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteInstanceProfile", tags_to_map(profile.get("Tags")), ctx)
    delete_profile(change.key.name, ctx)
    return "deleted"


def delete_iam_role(change: ResourceChange, ctx: ApplyContext) -> str:
    role = ctx.apis.iam.get_role(change.key.name)
    if role is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteRole", tags_to_map(role.get("Tags")), ctx)
    delete_role(change.key.name, ctx)
    return "deleted (policies detached first)"


DELETERS: dict[Kind, Callable[[ResourceChange, ApplyContext], str]] = {
    Kind.CAPACITY_PROVIDER: delete_capacity_provider,
    Kind.AUTO_SCALING_GROUP: delete_auto_scaling_group,
    Kind.LAUNCH_TEMPLATE: delete_launch_template,
    Kind.INSTANCE_PROFILE: delete_instance_profile,
    Kind.ROLE: delete_iam_role,
}
