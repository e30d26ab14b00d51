"""Create and update ECS clusters (settings, configuration, capacity providers, tags)."""

from __future__ import annotations

from typing import Any

from reconciler.apply.context import ApplyContext, changed_fields, removed_tags
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange

UPDATE_CLUSTER_FIELDS = ("settings", "configuration", "serviceConnectDefaults")
CAPACITY_FIELDS = ("capacityProviders", "defaultCapacityProviderStrategy")


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.action is Action.CREATE:
        tags = [{"key": k, "value": v} for k, v in sorted(ctx.tags_for(m).items())]
        body = {k: v for k, v in m.spec.items() if k != "tags"}
        ctx.ecs.create_cluster(clusterName=m.name, tags=tags, **body)
        return "created"
    assert change.arn is not None
    fields = changed_fields(change)
    done: list[str] = []
    update: dict[str, Any] = {f: m.spec[f] for f in UPDATE_CLUSTER_FIELDS if f in fields and f in m.spec}
    if update:
        ctx.ecs.update_cluster(cluster=m.name, **update)
        done.extend(update)
    if fields & set(CAPACITY_FIELDS):
        live = ctx.live.clusters[m.name].spec
        # PutClusterCapacityProviders replaces both lists: keep the live one the manifest leaves out.
        ctx.ecs.put_cluster_capacity_providers(
            cluster=m.name,
            capacityProviders=m.spec.get("capacityProviders", live.get("capacityProviders", [])),
            defaultCapacityProviderStrategy=m.spec.get(
                "defaultCapacityProviderStrategy", live.get("defaultCapacityProviderStrategy", [])),
        )
        done.append("capacity providers")
    if "tags" in fields:
        ctx.ecs.tag_resource(change.arn, ctx.tags_for(m), str(m.key))
        ctx.ecs.untag_resource(change.arn, removed_tags(change), str(m.key))
        done.append("tags")
    return "updated " + ", ".join(done)
