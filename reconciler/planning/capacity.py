"""Plan the EC2 capacity kinds: Role, InstanceProfile, LaunchTemplate, AutoScalingGroup, CapacityProvider. Pure.

Each is compared like a cluster (only the fields the manifest sets: AWS fills in the rest, and what the manifest
leaves out is not ours), except a launch template's data, which is a whole, immutable version (see
`launch_templates`). What each names (a role, a profile, a template, a group, capacity providers) must be a manifest
of this plan or exist in AWS. An Auto Scaling group's change may replace instances (see `auto_scaling_groups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model import capacity_refs, shapes
from reconciler.model.keys import CAPACITY_KINDS, Kind, ResourceKey
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.planning import auto_scaling_groups, identifiers, launch_templates
from reconciler.planning.diff import diff
from reconciler.planning.normalize import canonical, left_scoped

BUILT_IN_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})


def _fields(service: str, create: str, update: Iterable[str], ignore: set[str]) -> frozenset[str]:
    updatable: set[str] = set()
    for operation in update:
        updatable |= shapes.member_names(service, operation)
    return frozenset(shapes.member_names(service, create) - updatable - ignore)


# What AWS cannot change in place (derived from the API: in the create input, in no update input), as diff paths.
REPLACE_PATHS: dict[Kind, frozenset[str]] = {
    Kind.ROLE: _fields("iam", "CreateRole", ["UpdateRole", "PutRolePermissionsBoundary"],
                       {"RoleName", "Tags", "AssumeRolePolicyDocument"}),
    Kind.INSTANCE_PROFILE: _fields("iam", "CreateInstanceProfile", [], {"InstanceProfileName", "Tags"}),
    Kind.LAUNCH_TEMPLATE: frozenset(),  # a change is a new version
    # (target groups, load balancers and lifecycle hooks have their own attach/detach calls, not made here)
    Kind.AUTO_SCALING_GROUP: _fields("autoscaling", "CreateAutoScalingGroup", ["UpdateAutoScalingGroup"],
                                     {"AutoScalingGroupName", "Tags", "InstanceId", "Operator"}),
    # UpdateCapacityProvider takes AutoScalingGroupProviderUpdate: everything but the group itself.
    Kind.CAPACITY_PROVIDER: frozenset({"autoScalingGroupProvider.autoScalingGroupArn", "cluster",
                                       "managedInstancesProvider"}),
}


def missing_references(m: Manifest, live: LiveState, planned: Mapping[ResourceKey, ResourceChange]) -> list[str]:
    """What `m` names among the EC2 capacity kinds (for clusters, services and tasks: capacity providers) that is
    neither a manifest (planned before it) nor in AWS."""
    if not live.capacity_read:
        return []  # (not read: nothing to say; apply reads it)
    problems = []
    for kind, name in capacity_refs.references(m.kind, m.spec):
        if kind is Kind.CAPACITY_PROVIDER and name in BUILT_IN_PROVIDERS:
            continue
        if ResourceKey(kind, name) not in planned and live.resource(ResourceKey(kind, name)) is None:
            what = {Kind.ROLE: "role", Kind.INSTANCE_PROFILE: "instance profile",
                    Kind.LAUNCH_TEMPLATE: "launch template", Kind.AUTO_SCALING_GROUP: "Auto Scaling group",
                    Kind.CAPACITY_PROVIDER: "capacity provider"}[kind]
            problems.append(f"{what} {name!r} is neither a {kind.value} manifest nor an existing {what}")
    return problems


def compare(m: Manifest, desired: dict[str, Any], current: LiveResource | None) -> ResourceChange:
    """Create, update, replace or nothing, comparing on the fields the manifest sets."""
    if current is None:
        return ResourceChange(m.key, Action.CREATE, desired=desired, reason="does not exist")
    live_form = left_scoped(canonical(m.kind, current.spec), desired)
    if m.kind is Kind.LAUNCH_TEMPLATE and "LaunchTemplateData" in live_form:
        # A version is a whole document: what it holds beyond the manifest is dropped by the next one.
        live_form["LaunchTemplateData"] = canonical(m.kind, current.spec).get("LaunchTemplateData")
    fields = diff(live_form, desired)
    if not fields:
        return ResourceChange(m.key, Action.NOOP, desired=desired, live=live_form, arn=current.arn)
    forcing = sorted({p for f in fields for p in REPLACE_PATHS[m.kind] if f.path == p or f.path.startswith(p + ".")
                      or f.path.startswith(p + "[")})
    if forcing:
        return ResourceChange(m.key, Action.REPLACE, fields, desired, live_form, current.arn,
                              reason=f"{', '.join(forcing)} cannot be changed in place",
                              replace_fields=tuple(forcing))
    return ResourceChange(m.key, Action.UPDATE, fields, desired, live_form, current.arn)


def plan(m: Manifest, live: LiveState, planned: Mapping[ResourceKey, ResourceChange],
         errors: list[str]) -> ResourceChange:
    """The change for one EC2 capacity manifest (ownership and bookkeeping tags are the planner's)."""
    assert m.kind in CAPACITY_KINDS
    current = live.resource(m.key)
    desired = canonical(m.kind, m.spec)
    problems = missing_references(m, live, planned)
    if problems:
        errors.extend(f"{m.source}: {m.key}: {p}" for p in problems)
        return ResourceChange(m.key, Action.CREATE if current is None else Action.UPDATE, desired=desired,
                              blocked="; ".join(problems))
    if current is not None:
        spec = identifiers.as_given(m.kind, current.spec, m.spec, live.aliases)
        current = LiveResource(current.kind, current.name, current.arn, spec, current.tags, current.status,
                               current.detail)
    change = compare(m, desired, current)
    if m.kind is Kind.LAUNCH_TEMPLATE:
        change = launch_templates.guard(change, current)
    elif m.kind is Kind.AUTO_SCALING_GROUP:
        change = auto_scaling_groups.with_instances(change, m, current, live, planned)
    return change

