"""Create and update Auto Scaling groups. Capacity is never lowered by UpdateAutoScalingGroup while instances
would have to go: AWS would pick them itself and terminate them with their tasks. Replacing instances and scaling in
go through reconciler.apply.instance_roll, which drains each container instance first.

Tags are sent with PropagateAtLaunch as the manifest says (false when it says nothing); reconciler's own ownership
tags never propagate: they describe the group, and instances are the group's, not resources of their own.
"""

from __future__ import annotations

from typing import Any

from reconciler.apply import instance_roll, ownership
from reconciler.apply.context import ApplyContext, changed_fields, removed_tags
from reconciler.errors import AwsError
from reconciler.model import shapes
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import tags_to_map
from reconciler.planning import auto_scaling_groups as plan_groups

UPDATABLE = shapes.member_names("autoscaling", "UpdateAutoScalingGroup") - {"AutoScalingGroupName"}
CAPACITY = ("MinSize", "MaxSize", "DesiredCapacity")


def group_tags(m: Manifest, ctx: ApplyContext) -> list[dict[str, Any]]:
    """Every tag of the group, with PropagateAtLaunch: the manifest's as given, ours never."""
    declared = {str(t.get("Key")): bool(t.get("PropagateAtLaunch")) for t in m.spec.get("Tags") or []}
    return [{"Key": k, "Value": v, "PropagateAtLaunch": declared.get(k, False)}
            for k, v in sorted(ctx.tags_for(m).items())]


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.action is Action.CREATE:
        return _create(m, ctx)
    if change.action is Action.REPLACE:
        from reconciler.apply.capacity_deletes import empty_and_delete_group

        empty_and_delete_group(m.name, ctx, m)
        return "deleted and " + _create(m, ctx)
    asg = ctx.apis.autoscaling
    fields = changed_fields(change)
    live = ctx.live.auto_scaling_groups[m.name].spec
    rolling = plan_groups.INSTANCES in fields
    desired, now = m.spec.get("DesiredCapacity"), int(live.get("DesiredCapacity") or 0)
    scale_in = isinstance(desired, int) and desired < now
    update: dict[str, Any] = {f: m.spec[f] for f in sorted((fields & UPDATABLE) - set(CAPACITY)) if f in m.spec}
    if rolling or scale_in:
        # Bounds that let the roll lower the desired capacity instance by instance; never one AWS must act on.
        if "MinSize" in fields:
            update["MinSize"] = m.spec["MinSize"]
        if "MaxSize" in fields:
            update["MaxSize"] = max(int(m.spec["MaxSize"]), now)
    else:
        update.update({f: m.spec[f] for f in CAPACITY if f in fields and f in m.spec})
    done = []
    if update:
        asg.update_group(m.name, **update)
        done.append("updated " + ", ".join(update))
    if fields & {"tags", "PropagateAtLaunch"}:
        asg.put_tags(m.name, group_tags(m, ctx))
        asg.delete_tags(m.name, removed_tags(change))
        done.append("updated tags")
    if rolling or scale_in:
        version = ctx.template_versions.get(plan_groups.template_ref(m.spec)[0] or "")
        target = str(version) if version is not None else _target_version(m, ctx)
        done.append(instance_roll.Roll(m, ctx, target, desired if isinstance(desired, int) else None).run())
    return "; ".join(done)


def _target_version(m: Manifest, ctx: ApplyContext) -> str | None:
    name, _, version = plan_groups.template_ref(m.spec)
    if version not in ("$Default", "$Latest") or name is None:
        return version
    template = ctx.apis.ec2.describe_launch_template(name)
    if template is None:
        return None
    return str(template.get("DefaultVersionNumber" if version == "$Default" else "LatestVersionNumber"))


def _create(m: Manifest, ctx: ApplyContext) -> str:
    asg = ctx.apis.autoscaling
    body = {k: v for k, v in m.spec.items() if k != "Tags"}
    try:
        asg.create_group(m.name, Tags=[{"ResourceId": m.name, "ResourceType": "auto-scaling-group", **t}
                                       for t in group_tags(m, ctx)], **body)
    except AwsError as exc:
        existing = asg.describe_group(m.name) if exc.code == "AlreadyExists" else None
        if existing is None or not ownership.made_by_us(m, ctx, tags_to_map(existing.get("Tags"))):
            raise
    size = m.spec.get("DesiredCapacity", m.spec.get("MinSize"))
    return f"created ({size} instance(s) launching)" if size else "created"

