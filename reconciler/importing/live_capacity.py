"""Import the EC2 capacity of the imported clusters: their capacity providers (ECS's FARGATE and FARGATE_SPOT are
AWS's own), the Auto Scaling groups under them, the launch templates those groups launch from (the default version's
data, UserData as text), and the instance profiles and roles those templates give the instances, unless someone
else manages them already (a reconciler owner tag) or AWS does (a service-linked role).

Each document is the AWS input form with what AWS fills in left out, named as the manifests name each other (a
provider's group by name, a group's template by name), and checked the way plan compares it: a resource that would
not plan clean is written anyway, with a warning naming the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.importing import roundtrip, writer
from reconciler.importing.document import ImportedDocument
from reconciler.importing.live_context import LiveImport
from reconciler.live import instance_profiles, launch_templates, roles
from reconciler.model import capacity_refs
from reconciler.model.keys import Kind
from reconciler.model.tags import OWNER_TAG, tags_to_map, user_tags
from reconciler.planning import identifiers

BUILT_IN = frozenset({"FARGATE", "FARGATE_SPOT"})
# What Auto Scaling fills in when a group is created without it: left out of AutoScalingGroup manifests.
GROUP_DEFAULTS: dict[str, Any] = {
    "DefaultCooldown": 300,
    "HealthCheckType": "EC2",
    "TerminationPolicies": ["Default"],
    "NewInstancesProtectedFromScaleIn": False,
    "CapacityRebalance": False,
    "HealthCheckGracePeriod": 0,
}
ECS_MANAGED_TAG = "AmazonECSManaged"  # set on a group by ECS when a capacity provider manages its scaling


def _path(folder: str, name: str) -> str:
    return f"{folder}/" + "/".join(writer.safe(part) for part in name.split("/"))


def _check(ctx: LiveImport, doc: ImportedDocument, live: dict[str, Any]) -> None:
    given = identifiers.as_given(doc.kind, live, doc.spec, {})
    fields = roundtrip.differences(doc.kind, doc.spec, given)
    if fields:
        names = ", ".join(f.path for f in fields)
        ctx.result.warn(f"plan will not be clean: it would change {names} (written anyway; check the file)",
                        document=doc.label)


def _add(ctx: LiveImport, kind: Kind, name: str, spec: dict[str, Any], path: str, source: str,
         live: dict[str, Any]) -> None:
    doc = ImportedDocument(kind, name, roundtrip.ordered(kind, spec), path, source)
    doc.adopt()
    _check(ctx, doc, live)
    ctx.result.documents.append(doc)


def _managed_elsewhere(ctx: LiveImport, label: str, tags: dict[str, str]) -> bool:
    owner = tags.get(OWNER_TAG)
    if owner:
        ctx.result.warn(f"not imported: it is managed already (reconciler owner {owner!r}); the imported manifests "
                        "name it as an existing resource", document=label)
    return bool(owner)


# --- capacity providers -----------------------------------------------------------------------------------------

def import_capacity_providers(ctx: LiveImport) -> None:
    names = sorted({str(p) for c in ctx.clusters.values() for p in c.get("capacityProviders") or []} - BUILT_IN)
    if not names or ctx.capacity is None:
        return
    found = ctx.capacity.ecs.describe_capacity_providers(names)
    for name in names:
        provider = found.get(name)
        label = f"CapacityProvider/{name}"
        if provider is None:
            ctx.result.warn("not imported: the capacity provider is not ACTIVE", document=label)
            continue
        if provider.get("managedInstancesProvider") or not provider.get("autoScalingGroupProvider"):
            ctx.result.warn("not imported: only capacity providers over Auto Scaling groups are", document=label)
            continue
        spec = roundtrip.minimal(Kind.CAPACITY_PROVIDER, roundtrip.input_form(Kind.CAPACITY_PROVIDER, provider))
        group = capacity_refs.provider_group(provider) or ""
        spec["autoScalingGroupProvider"]["autoScalingGroupArn"] = group
        managed = ((provider.get("autoScalingGroupProvider") or {}).get("managedScaling") or {}).get("status")
        ctx.groups[group] = managed == "ENABLED"
        _add(ctx, Kind.CAPACITY_PROVIDER, name, spec, _path("capacity/capacity-providers", name),
             str(provider["capacityProviderArn"]), provider)


# --- Auto Scaling groups ----------------------------------------------------------------------------------------

def _group_spec(group: dict[str, Any], scaled_by_ecs: bool) -> dict[str, Any]:
    spec = roundtrip.input_form(Kind.AUTO_SCALING_GROUP, group)
    for key, default in GROUP_DEFAULTS.items():
        if spec.get(key) == default:
            del spec[key]
    if spec.get("VPCZoneIdentifier"):
        spec.pop("AvailabilityZones", None)
    if str(spec.get("ServiceLinkedRoleARN", "")).endswith(":role/aws-service-role/autoscaling.amazonaws.com/"
                                                          "AWSServiceRoleForAutoScaling"):
        del spec["ServiceLinkedRoleARN"]
    template = spec.get("LaunchTemplate")
    if isinstance(template, dict) and template.get("LaunchTemplateName"):
        template.pop("LaunchTemplateId", None)
    if scaled_by_ecs:
        spec.pop("DesiredCapacity", None)
    tags = user_tags(tags_to_map(group.get("Tags")))
    propagate = {str(t.get("Key")): bool(t.get("PropagateAtLaunch")) for t in group.get("Tags") or []}
    spec["Tags"] = [{"Key": k, "Value": v, "PropagateAtLaunch": propagate.get(k, False)}
                    for k, v in sorted(tags.items()) if k != ECS_MANAGED_TAG]
    return roundtrip.minimal(Kind.AUTO_SCALING_GROUP, {k: v for k, v in spec.items() if v != []})


def import_auto_scaling_groups(ctx: LiveImport) -> None:
    if not ctx.groups or ctx.capacity is None:
        return
    found = ctx.capacity.autoscaling.describe_groups(sorted(ctx.groups))
    for name, scaled_by_ecs in sorted(ctx.groups.items()):
        group = found.get(name)
        label = f"AutoScalingGroup/{name}"
        if group is None:
            ctx.result.warn("not imported: the group does not exist", document=label)
            continue
        spec = _group_spec(group, scaled_by_ecs)
        if scaled_by_ecs:
            ctx.result.warn("DesiredCapacity is left out: the capacity provider's managed scaling owns it",
                            document=label)
        template = capacity_refs.group_template(group) or {}
        if template.get("LaunchTemplateName"):
            ctx.templates[str(template["LaunchTemplateName"])] = str(template.get("Version") or "$Default")
        _add(ctx, Kind.AUTO_SCALING_GROUP, name, spec, _path("capacity/auto-scaling-groups", name),
             str(group.get("AutoScalingGroupARN", name)), group)


# --- launch templates -------------------------------------------------------------------------------------------

def import_launch_templates(ctx: LiveImport) -> None:
    if ctx.capacity is None:
        return
    for name, version in sorted(ctx.templates.items()):
        label = f"LaunchTemplate/{name}"
        current = launch_templates.read_template(name, ctx.capacity.ec2)
        if current is None:
            ctx.result.warn("not imported: the launch template does not exist", document=label)
            continue
        if version not in ("$Default", str(current.detail.get("default"))):
            ctx.result.warn(f"its group launches version {version}, the manifest holds the default version "
                            f"({current.detail.get('default')}): the first apply replaces the group's instances",
                            document=label)
        spec = roundtrip.minimal(Kind.LAUNCH_TEMPLATE, roundtrip.input_form(Kind.LAUNCH_TEMPLATE, current.spec))
        profile = capacity_refs.template_profile(spec)
        if profile:
            ctx.profiles.add(profile)
        _add(ctx, Kind.LAUNCH_TEMPLATE, name, spec, _path("capacity/launch-templates", name),
             f"{name} version {current.detail.get('default')}", current.spec)


# --- instance profiles and roles --------------------------------------------------------------------------------

def import_instance_profiles(ctx: LiveImport) -> None:
    if ctx.capacity is None:
        return
    for name in sorted(ctx.profiles):
        label = f"InstanceProfile/{name}"
        profile = ctx.capacity.iam.get_instance_profile(name)
        if profile is None:
            ctx.result.warn("not imported: the instance profile does not exist", document=label)
            continue
        if _managed_elsewhere(ctx, label, tags_to_map(profile.get("Tags"))):
            continue
        live = instance_profiles.profile_spec(profile)
        spec = roundtrip.minimal(Kind.INSTANCE_PROFILE, roundtrip.input_form(Kind.INSTANCE_PROFILE, live))
        ctx.roles.update(str(r) for r in live.get("Roles") or [])
        _add(ctx, Kind.INSTANCE_PROFILE, name, spec, _path("iam/instance-profiles", name), str(profile["Arn"]), live)


def import_roles(ctx: LiveImport) -> None:
    if ctx.capacity is None:
        return
    for name in sorted(ctx.roles):
        label = f"Role/{name}"
        current = roles.read_role(name, ctx.capacity.iam)
        if current is None:
            ctx.result.warn("not imported: the role does not exist", document=label)
            continue
        if str(current.spec.get("Path", "")).startswith("/aws-service-role/"):
            ctx.result.warn("not imported: a service-linked role is AWS's", document=label)
            continue
        if _managed_elsewhere(ctx, label, current.tags):
            continue
        spec = roundtrip.minimal(Kind.ROLE, roundtrip.input_form(Kind.ROLE, current.spec))
        _add(ctx, Kind.ROLE, name, spec, _path("iam/roles", name), current.arn, current.spec)


KINDS: tuple[Callable[[LiveImport], None], ...] = (
    import_capacity_providers, import_auto_scaling_groups, import_launch_templates, import_instance_profiles,
    import_roles)
