"""Create and update ECS capacity providers over Auto Scaling groups (managed scaling, managed termination protection,
managed draining; tags). The group is named by name or ARN (ECS takes either) and cannot change in place."""

from __future__ import annotations

from typing import Any

from reconciler.apply import ownership
from reconciler.apply.context import ApplyContext, changed_fields, deep_merge, removed_tags
from reconciler.errors import AwsError
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import tags_to_map

UPDATABLE = ("managedScaling", "managedTerminationProtection", "managedDraining")


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    ecs = ctx.apis.ecs
    if change.action is Action.CREATE:
        return _create(m, ctx)
    if change.action is Action.REPLACE:
        delete_provider(m.name, ctx)
        return "deleted and " + _create(m, ctx)
    assert change.arn is not None
    fields = changed_fields(change)
    done: list[str] = []
    if "autoScalingGroupProvider" in fields:
        live = ctx.live.capacity_providers[m.name].spec.get("autoScalingGroupProvider") or {}
        given = m.spec.get("autoScalingGroupProvider") or {}
        update = {k: deep_merge(live.get(k), given[k]) for k in UPDATABLE if k in given}
        ecs.update_capacity_provider(name=m.name, autoScalingGroupProvider=update)
        done.extend(update)
    if "tags" in fields:
        ecs.tag_resource(change.arn, ctx.tags_for(m), str(m.key))
        ecs.untag_resource(change.arn, removed_tags(change), str(m.key))
        done.append("tags")
    return "updated " + ", ".join(done)


def _create(m: Manifest, ctx: ApplyContext) -> str:
    ecs = ctx.apis.ecs
    body: dict[str, Any] = {k: v for k, v in m.spec.items() if k != "tags"}
    tags = [{"key": k, "value": v} for k, v in sorted(ctx.tags_for(m).items())]
    try:
        ecs.create_capacity_provider(name=m.name, tags=tags, **body)
    except AwsError as exc:
        existing = ecs.describe_capacity_providers([m.name]).get(m.name) if exc.code == "ClientException" else None
        if existing is None or not ownership.made_by_us(m, ctx, tags_to_map(existing.get("tags"))):
            raise
    return "created"


def delete_provider(name: str, ctx: ApplyContext) -> None:
    try:
        ctx.apis.ecs.delete_capacity_provider(name)
    except AwsError:
        if ctx.apis.ecs.describe_capacity_providers([name]):
            raise  # (otherwise a resent request whose response was lost: it is being deleted)
