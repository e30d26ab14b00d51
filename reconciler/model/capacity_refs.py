"""What the EC2 capacity kinds name in each other, read from a spec: plain data, no decisions.

The chain of the ECS chapter's cluster: a Role, the InstanceProfile that holds it, the LaunchTemplate whose
instances get that profile, the AutoScalingGroup that launches from the template, the CapacityProvider over the
group, the Cluster (capacityProviders, defaultCapacityProviderStrategy) and the Services and Tasks placed by a
capacity provider strategy. A reference is a name, or an ARN whose last part is the name.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from reconciler.model.keys import Kind

_ECS_CLUSTER = re.compile(r"\bECS_CLUSTER\s*=\s*['\"]?([A-Za-z0-9_-]{1,255})")


def arn_name(ref: str) -> str:
    """"web" from "web", "arn:...:role/path/web", "arn:...:autoScalingGroupName/web" or
    "arn:...:capacity-provider/web"."""
    if ref.startswith("arn:"):
        return ref.rsplit("/", 1)[-1]
    return ref


def profile_role(spec: Mapping[str, Any]) -> str | None:
    roles = spec.get("Roles") or []
    return arn_name(str(roles[0])) if roles else None


def template_profile(spec: Mapping[str, Any]) -> str | None:
    profile = (spec.get("LaunchTemplateData") or {}).get("IamInstanceProfile") or {}
    if profile.get("Name"):
        return str(profile["Name"])
    if profile.get("Arn"):
        return arn_name(str(profile["Arn"]))
    return None


def group_template(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The launch template specification an Auto Scaling group launches from (LaunchTemplate, or the one of its
    MixedInstancesPolicy)."""
    template = spec.get("LaunchTemplate")
    if isinstance(template, Mapping):
        return template
    policy = (spec.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
    found = policy.get("LaunchTemplateSpecification")
    return found if isinstance(found, Mapping) else None


def group_template_name(spec: Mapping[str, Any]) -> str | None:
    template = group_template(spec)
    return str(template["LaunchTemplateName"]) if template and template.get("LaunchTemplateName") else None


def provider_group(spec: Mapping[str, Any]) -> str | None:
    """The Auto Scaling group a capacity provider is over (its name, also when given as an ARN)."""
    ref = (spec.get("autoScalingGroupProvider") or {}).get("autoScalingGroupArn")
    return arn_name(str(ref)) if ref else None


def strategy_providers(spec: Mapping[str, Any]) -> list[str]:
    """Capacity providers a service or task strategy, or a cluster, names (FARGATE and FARGATE_SPOT included)."""
    names = [str(p) for p in spec.get("capacityProviders") or []]
    for member in ("capacityProviderStrategy", "defaultCapacityProviderStrategy"):
        for item in spec.get(member) or []:
            if isinstance(item, Mapping) and item.get("capacityProvider"):
                names.append(str(item["capacityProvider"]))
    return list(dict.fromkeys(arn_name(n) for n in names))


def user_data_text(value: str) -> str:
    """User data as text: the manifest writes it plain; AWS reports it base64-encoded."""
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return value


def user_data_cluster(text: str | None) -> str | None:
    """The cluster the ECS agent joins, from `ECS_CLUSTER=<name>` in user data (written to /etc/ecs/ecs.config)."""
    if not text:
        return None
    match = _ECS_CLUSTER.search(text)
    return match.group(1) if match else None


def references(kind: Kind, spec: Mapping[str, Any]) -> list[tuple[Kind, str]]:
    """(kind, name) of the EC2 capacity resources a spec of `kind` names."""
    out: list[tuple[Kind, str]] = []
    if kind is Kind.INSTANCE_PROFILE and (role := profile_role(spec)):
        out.append((Kind.ROLE, role))
    elif kind is Kind.LAUNCH_TEMPLATE and (profile := template_profile(spec)):
        out.append((Kind.INSTANCE_PROFILE, profile))
    elif kind is Kind.AUTO_SCALING_GROUP and (template := group_template_name(spec)):
        out.append((Kind.LAUNCH_TEMPLATE, template))
    elif kind is Kind.CAPACITY_PROVIDER and (group := provider_group(spec)):
        out.append((Kind.AUTO_SCALING_GROUP, group))
    elif kind in (Kind.CLUSTER, Kind.SERVICE, Kind.TASK):
        out.extend((Kind.CAPACITY_PROVIDER, p) for p in strategy_providers(spec))
    return out
