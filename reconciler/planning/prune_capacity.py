"""Plan what --prune removes of the EC2 capacity: what carries this owner's tag and left git, in reverse order of
creation (capacity providers after the clusters and services, then Auto Scaling groups, launch templates, instance
profiles, roles), each after the deletes of what used it. Pure.

Something a manifest still names is kept (a role an InstanceProfile manifest holds, a group a CapacityProvider
manifest is over...), with a warning: deleting it would break what git declares. IAM is global: roles and profiles
an apply in another region made are never pruned from here (a warning says which).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.loader import ManifestSet
from reconciler.model import capacity_refs
from reconciler.model.keys import CAPACITY_KINDS, Kind, ResourceKey
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.plan import Action, ResourceChange

# Deleted in this order; each kind's deletes wait for the previous kinds' (and for clusters and services).
DELETE_ORDER = (Kind.CAPACITY_PROVIDER, Kind.AUTO_SCALING_GROUP, Kind.LAUNCH_TEMPLATE, Kind.INSTANCE_PROFILE,
                Kind.ROLE)
REASONS = {
    Kind.CAPACITY_PROVIDER: "not in git: delete (after the clusters that had it)",
    Kind.AUTO_SCALING_GROUP: "not in git: drain its container instances, terminate its instances, then delete",
    Kind.LAUNCH_TEMPLATE: "not in git: delete with its versions",
    Kind.INSTANCE_PROFILE: "not in git: remove its role, then delete",
    Kind.ROLE: "not in git: detach its policies, then delete",
}


def plan_prune(manifests: ManifestSet, live: LiveState,
               earlier: Sequence[ResourceChange]) -> tuple[list[ResourceChange], list[str]]:
    owned = live.owned
    if owned is None:
        return [], []
    wanted = {m.key for m in manifests.manifests}
    named = {(kind, name): m.key for m in manifests.manifests
             for kind, name in capacity_refs.references(m.kind, m.spec)}
    owned_by_kind: dict[Kind, dict[str, LiveResource]] = {
        Kind.CAPACITY_PROVIDER: owned.capacity_providers, Kind.AUTO_SCALING_GROUP: owned.auto_scaling_groups,
        Kind.LAUNCH_TEMPLATE: owned.launch_templates, Kind.INSTANCE_PROFILE: owned.instance_profiles,
        Kind.ROLE: owned.roles,
    }
    changes: list[ResourceChange] = []
    warnings: list[str] = [f"{what} is ours but was made by an apply in another region (IAM is global): not pruned "
                           "from this region" for what in owned.other_region_iam]
    before = tuple(c.key for c in earlier if c.key.kind in (Kind.SERVICE, Kind.CLUSTER))
    for kind in DELETE_ORDER:
        assert kind in CAPACITY_KINDS
        deletes = []
        for name, resource in sorted(owned_by_kind[kind].items()):
            key = ResourceKey(kind, name)
            if key in wanted:
                continue
            user = named.get((kind, name))
            if user is not None:
                warnings.append(f"{key} left git but is kept: {user} still names it")
                continue
            deletes.append(ResourceChange(key, Action.DELETE, arn=resource.arn, reason=REASONS[kind],
                                          depends_on=before))
        changes.extend(deletes)
        before = (*before, *(d.key for d in deletes))
    return changes, warnings
