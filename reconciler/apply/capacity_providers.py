"""Create and update ECS capacity providers over Auto Scaling groups (managed scaling, managed termination protection,
managed draining; tags). The group is named by name or ARN (ECS takes either) and cannot change in place."""

from __future__ import annotations

from typing import Any

from reconciler.apply import ownership
from reconciler.apply.context import ApplyContext, changed_fields, deep_merge, removed_tags, wait_until
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
        wait_deleted(m.name, ctx)  # (a name is free again only once ECS has finished deleting it)
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


DELETING = ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")  # a provider's updateStatus once DeleteCapacityProvider took


def delete_provider(name: str, ctx: ApplyContext) -> None:
    """Ask ECS to delete the provider (ECS then deletes it over a while: ACTIVE with updateStatus DELETE_IN_PROGRESS,
    then INACTIVE). Refused because it is gone or being deleted already (a resent request whose response was lost):
    done."""
    try:
        ctx.apis.ecs.delete_capacity_provider(name)
    except AwsError:
        found = ctx.apis.ecs.describe_capacity_providers([name]).get(name)
        if found is not None and found.get("updateStatus") not in DELETING:
            raise


def deleted(name: str, ctx: ApplyContext) -> bool:
    """Whether ECS has finished deleting the provider; its reason when ECS could not delete it."""
    found = ctx.apis.ecs.describe_capacity_providers([name]).get(name)
    if found is not None and found.get("updateStatus") == "DELETE_FAILED":
        raise AwsError("DeleteCapacityProvider", "DELETE_FAILED",
                       str(found.get("updateStatusReason") or "ECS could not delete it (no reason given)"),
                       f"CapacityProvider/{name}")
    return found is None or found.get("updateStatus") == "DELETE_COMPLETE"


def wait_deleted(name: str, ctx: ApplyContext) -> None:
    wait_until(lambda: deleted(name, ctx), ctx, "DeleteCapacityProvider", "still being deleted",
               f"CapacityProvider/{name}")
