"""Which instances of an Auto Scaling group a plan replaces, as data in the plan. Pure.

An instance is old when it was launched from another launch template, or another version of it, than the one the
group launches from after this plan (a LaunchTemplate manifest that creates a new version makes every instance old,
for a group on `$Default` or `$Latest`), or when it runs in a subnet (or Availability Zone) the group no longer
names. The plan says which (`instances`: before, the old ones; after, what replaces them); the applier replaces them
one batch at a time, draining each container instance before its EC2 instance terminates
(reconciler.apply.instance_roll). A lower DesiredCapacity drains before it terminates, too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import capacity_refs
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, FieldChange, ResourceChange
from reconciler.planning import launch_templates

INSTANCES = "instances"  # the field of a change that replaces instances
NEXT = "next"  # the version a LaunchTemplate manifest creates in this apply
LEAVING = ("Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminated", "Detaching", "Detached")


def template_ref(spec: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(name, id, version) of the launch template a group spec launches from (version $Default when not given)."""
    template = capacity_refs.group_template(spec) or {}
    name, template_id = template.get("LaunchTemplateName"), template.get("LaunchTemplateId")
    return (str(name) if name else None, str(template_id) if template_id else None,
            str(template.get("Version") or "$Default"))


def target_version(m: Manifest, live: LiveState, planned: Mapping[ResourceKey, ResourceChange]) -> str | None:
    """The version number new instances launch from after this plan (NEXT: the one this apply creates), or None
    when it cannot be known (a template that is neither planned nor read)."""
    name, _, version = template_ref(m.spec)
    if name is None:
        return None
    floating = version in ("$Default", "$Latest")
    if floating and launch_templates.creates_version(planned.get(ResourceKey(Kind.LAUNCH_TEMPLATE, name))):
        return NEXT
    template = live.launch_templates.get(name)
    if not floating:
        return version
    if template is None:
        return None
    return str(template.detail.get("default" if version == "$Default" else "latest"))


def instance_version(instance: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    template = instance.get("LaunchTemplate") or {}
    version = template.get("Version")
    return template.get("LaunchTemplateName"), template.get("LaunchTemplateId"), \
        str(version) if version is not None else None


def in_service(current: LiveResource) -> list[dict[str, Any]]:
    return [i for i in current.detail.get("instances") or [] if i.get("LifecycleState") not in LEAVING]


def is_old(instance: Mapping[str, Any], spec: Mapping[str, Any], version: str | None) -> bool:
    """Whether `instance` is not what the group `spec` launches now: another template, another `version` of it (NEXT:
    any), or a subnet or Availability Zone the group no longer names. (`version` None: unknown, not compared.)"""
    name, template_id, _ = template_ref(spec)
    have_name, have_id, have_version = instance_version(instance)
    if (name is not None or template_id is not None) and not (
            (name is not None and have_name == name) or (template_id is not None and have_id == template_id)):
        return True
    if version == NEXT or (version is not None and have_version != version):
        return True
    subnets = spec.get("VPCZoneIdentifier")
    if isinstance(subnets, str) and instance.get("SubnetId") and \
            instance["SubnetId"] not in {s.strip() for s in subnets.split(",")}:
        return True
    zones = spec.get("AvailabilityZones")
    return isinstance(zones, list) and bool(zones) and instance.get("AvailabilityZone") not in zones


def old_instances(spec: Mapping[str, Any], current: LiveResource, version: str | None) -> list[dict[str, Any]]:
    return [i for i in in_service(current) if is_old(i, spec, version)]


def describe(instance: Mapping[str, Any]) -> str:
    _, _, version = instance_version(instance)
    kind = instance.get("InstanceType") or "?"
    return f"{instance.get('InstanceId')} ({kind}, version {version or '?'})"


def with_instances(change: ResourceChange, m: Manifest, current: LiveResource | None, live: LiveState,
                   planned: Mapping[ResourceKey, ResourceChange]) -> ResourceChange:
    """The group's change, with the instances it replaces (and the drains a lower desired capacity needs)."""
    if current is None or change.blocked or change.action is Action.REPLACE:
        return change
    version = target_version(m, live, planned)
    old = old_instances(m.spec, current, version)
    fields = list(change.fields)
    reasons = []
    if old:
        name, _, _ = template_ref(m.spec)
        to = "the version this apply creates" if version == NEXT else f"version {version}"
        fields.append(FieldChange(INSTANCES, [describe(i) for i in old],
                                  f"{len(old)} new instance(s) of launch template {name} ({to})"))
        reasons.append(f"replaces {len(old)} instance(s): new ones register first, then each old container instance "
                       "is drained before its instance terminates")
    desired, now = m.spec.get("DesiredCapacity"), current.spec.get("DesiredCapacity")
    if isinstance(desired, int) and isinstance(now, int) and desired < now:
        reasons.append(f"scales in by {now - desired}: drains before it terminates")
    if not fields:
        return change
    action = Action.UPDATE if change.action is Action.NOOP else change.action
    return ResourceChange(**{**change.__dict__, "action": action, "fields": tuple(fields),
                             "reason": "; ".join(reasons) or change.reason})
