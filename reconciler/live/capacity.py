"""Read what the EC2 capacity manifests need for one plan: each kind's manifests and what they name (a role an
instance profile holds, the template a group launches from...), and the launch templates the groups use, so the plan
can tell which instances run an older version. Nothing is read (no client is made) when no manifest is about EC2
capacity."""

from __future__ import annotations

from reconciler.aws.capacity import CapacityApis
from reconciler.live import auto_scaling_groups, capacity_providers, instance_profiles, launch_templates, roles
from reconciler.loader import ManifestSet
from reconciler.model import capacity_refs
from reconciler.model.keys import CAPACITY_KINDS, Kind
from reconciler.model.live import LiveState


def wanted(manifests: ManifestSet) -> dict[Kind, list[str]]:
    """Names to read per kind: the manifests of each kind, and what manifests name."""
    names: dict[Kind, dict[str, None]] = {kind: {} for kind in CAPACITY_KINDS}
    for m in manifests.manifests:
        if m.kind in names:
            names[m.kind][m.name] = None
        for kind, name in capacity_refs.references(m.kind, m.spec):
            if kind is Kind.CAPACITY_PROVIDER and name in capacity_providers.BUILT_IN:
                continue
            names[kind][name] = None
    return {kind: list(found) for kind, found in names.items()}


def read(state: LiveState, manifests: ManifestSet, apis: CapacityApis) -> None:
    state.capacity_read = True
    names = wanted(manifests)
    if not any(names.values()):
        return
    roles.read(state, names[Kind.ROLE], apis.iam)
    instance_profiles.read(state, names[Kind.INSTANCE_PROFILE], apis.iam)
    launch_templates.read(state, names[Kind.LAUNCH_TEMPLATE], apis.ec2)
    auto_scaling_groups.read(state, names[Kind.AUTO_SCALING_GROUP], apis.autoscaling, apis.ec2)
    capacity_providers.read(state, names[Kind.CAPACITY_PROVIDER], apis.ecs)
    # The templates the groups launch from, also those no manifest declares (to know their default version).
    used = [capacity_refs.group_template_name(g.spec) for g in state.auto_scaling_groups.values()]
    launch_templates.read(state, [n for n in used if n], apis.ec2)
