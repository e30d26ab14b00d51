"""One canonical form for both sides of a diff, in the AWS API's *input* space.

Live `describe_*` output is projected onto the create operation's input shape, so every field AWS
owns (ARNs, revision, status, registeredAt, requiresAttributes, compatibilities, counts, events...)
drops out because it is not an input; nothing is hand-listed. Then, on both sides alike:
scalars are coerced to the shape's type ("256" vs 256), nulls and empty lists/maps are dropped,
values AWS fills in by default are dropped, lists whose order carries no meaning are keyed or sorted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from reconciler.model import shapes
from reconciler.model.keys import Kind
from reconciler.model.specs import KIND_SPECS
from reconciler.model.tags import spec_tags, tags_member, user_tags

# Lists of structures that are sets keyed by one member: turned into {key: item} maps so that order
# does not matter and a diff names the item ("environment[LOG_LEVEL]") instead of an index.
KEYED_LISTS: dict[str, str] = {
    "containerDefinitions": "name",
    "environment": "name",
    "secrets": "name",
    "ulimits": "name",
    "volumes": "name",
    "systemControls": "namespace",
    "dependsOn": "containerName",
    "settings": "name",
    "capacityProviderStrategy": "capacityProvider",
    "defaultCapacityProviderStrategy": "capacityProvider",
    "resourceRequirements": "type",
    "extraHosts": "hostname",
    "inferenceAccelerators": "deviceName",
    "properties": "name",  # proxyConfiguration.properties: AWS does not keep their order (ecspresso sorts them)
    "BlockDeviceMappings": "DeviceName",  # launch template data
}
# Keyed lists whose item is just a value: {"name": n, "value": v} becomes {n: v}.
KEY_VALUE_LISTS: dict[str, tuple[str, str]] = {
    "environment": ("name", "value"),
    "settings": ("name", "value"),
    "properties": ("name", "value"),
}
# Lists with no meaningful order (scalars or structures), sorted canonically.
UNORDERED_LISTS = frozenset({
    "portMappings", "mountPoints", "volumesFrom", "placementConstraints", "requiresCompatibilities",
    "capacityProviders", "subnets", "securityGroups", "loadBalancers", "serviceRegistries",
    "environmentFiles", "dockerSecurityOptions", "links", "credentialSpecs",
    # EC2 capacity
    "ManagedPolicyArns", "Roles", "SecurityGroupIds", "SecurityGroups", "AvailabilityZones", "AvailabilityZoneIds",
    "TargetGroupARNs", "LoadBalancerNames", "TagSpecifications",
})
# Maps (in canonical form) whose keys a diff names in brackets, like tags: `PropagateAtLaunch[team]`.
KEYED_MAPS = frozenset({"tags", "PropagateAtLaunch"})


def project(shape: Shape, value: Any) -> Any:
    """Keep only what `shape` accepts as input, coercing scalars to the shape's type."""
    if value is None:
        return None
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            return value
        return {k: project(shape.members[k], v) for k, v in value.items() if k in shape.members}
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return value
        return [project(shape.member, v) for v in value]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return value
        return {str(k): project(shape.value, v) for k, v in value.items()}
    return _coerce(shape.type_name, value)


def _coerce(type_name: str, value: Any) -> Any:
    try:
        if type_name == "string" and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if type_name in ("integer", "long") and isinstance(value, str):
            return int(value)
        if type_name in ("double", "float") and isinstance(value, str | int):
            return float(value)
        if type_name == "boolean" and isinstance(value, str):
            return value.strip().lower() == "true"
    except ValueError:
        return value
    return value


def spec_shape(kind: Kind) -> StructureShape:
    ks = KIND_SPECS[kind]
    return shapes.input_shape(ks.service, ks.create_operation)


def prune_empty(value: Any, field: str | None = None) -> Any:
    """Drop None, empty lists and empty maps, recursively (AWS returns [] where the user wrote nothing). An item
    of a keyed list that has nothing but its key (a volume with only a name) is kept: it exists."""
    if isinstance(value, Mapping):
        keyed = field in KEYED_LISTS
        out = {}
        for k, v in value.items():
            v = prune_empty(v, k)
            if v is None or v == [] or (v == {} and not keyed):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [prune_empty(v) for v in value]
    return value


def canonical_lists(value: Any, field: str | None = None) -> Any:
    """Key or sort the lists whose order carries no meaning (see KEYED_LISTS and UNORDERED_LISTS)."""
    if isinstance(value, Mapping):
        return {k: canonical_lists(v, k) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    items = [canonical_lists(v) for v in value]
    if field in KEY_VALUE_LISTS and all(isinstance(i, Mapping) for i in items):
        key, val = KEY_VALUE_LISTS[field]
        if all(key in i and set(i) <= {key, val} for i in items):
            return {str(i[key]): i.get(val) for i in items}
    if field in KEYED_LISTS and all(isinstance(i, Mapping) and KEYED_LISTS[field] in i for i in items):
        key = KEYED_LISTS[field]
        keys = [str(i[key]) for i in items]
        if len(set(keys)) == len(keys):
            return {str(i[key]): {k: v for k, v in i.items() if k != key} for i in items}
    if field in UNORDERED_LISTS or field == "tags":
        return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, default=str))
    return items


# --- defaults AWS fills in --------------------------------------------------------------------------

def _drop_if(d: dict[str, Any], key: str, *defaults: Any) -> None:
    if key in d and d[key] in defaults:
        del d[key]


_VCPU = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*gb\s*$", re.IGNORECASE)


def _units(spec: dict[str, Any]) -> None:
    """AWS converts "1 vCPU" to "1024" and "2 GB" to "2048" when it registers a task definition."""
    cpu, memory = spec.get("cpu"), spec.get("memory")
    if isinstance(cpu, str) and (match := _VCPU.match(cpu)):
        spec["cpu"] = str(int(float(match.group(1)) * 1024))
    if isinstance(memory, str) and (match := _GB.match(memory)):
        spec["memory"] = str(int(float(match.group(1)) * 1024))


def _task_definition_defaults(spec: dict[str, Any]) -> None:
    _units(spec)
    network_mode = spec.get("networkMode", "bridge")
    _drop_if(spec, "networkMode", "bridge")
    for container in (spec.get("containerDefinitions") or {}).values():
        environment = container.get("environment")
        if isinstance(environment, dict):
            # AWS may drop a variable whose value is empty (terraform-provider-aws #39533): "" is absent.
            container["environment"] = {k: v for k, v in environment.items() if v not in ("", None)}
        _drop_if(container, "essential", True)
        _drop_if(container, "cpu", 0)
        mappings = []
        for mapping in container.get("portMappings", []):
            mapping = dict(mapping)
            _drop_if(mapping, "protocol", "tcp")
            if network_mode in ("awsvpc", "host") and mapping.get("hostPort") == mapping.get("containerPort"):
                mapping.pop("hostPort", None)
            if network_mode == "bridge":
                _drop_if(mapping, "hostPort", 0)  # 0 and omitted both mean a dynamic host port
            mappings.append(mapping)
        if "portMappings" in container:
            container["portMappings"] = sorted(mappings, key=lambda m: json.dumps(m, sort_keys=True))
        health = container.get("healthCheck")
        if isinstance(health, dict):
            # AWS documents and returns these defaults for container health checks.
            _drop_if(health, "interval", 30)
            _drop_if(health, "timeout", 5)
            _drop_if(health, "retries", 3)
            _drop_if(health, "startPeriod", 0)
        for mount in container.get("mountPoints", []):
            _drop_if(mount, "readOnly", False)
        for source in container.get("volumesFrom", []):
            _drop_if(source, "readOnly", False)
    for volume in (spec.get("volumes") or {}).values():
        _drop_if(volume, "configuredAtLaunch", False)  # newer DescribeTaskDefinition output reports it on every volume
        docker = volume.get("dockerVolumeConfiguration")
        if isinstance(docker, dict):
            _drop_if(docker, "scope", "task")
        efs = volume.get("efsVolumeConfiguration")
        if isinstance(efs, dict):
            _drop_if(efs, "rootDirectory", "/")
            _drop_if(efs, "transitEncryption", "DISABLED")


def _strategy_defaults(spec: dict[str, Any]) -> None:
    """AWS: base and weight default to 0 and are returned as 0 ("If no value is specified, the default
    value of 0 is used")."""
    for field in ("capacityProviderStrategy", "defaultCapacityProviderStrategy"):
        for item in (spec.get(field) or {}).values():
            if isinstance(item, dict):
                _drop_if(item, "base", 0)
                _drop_if(item, "weight", 0)


def _service_defaults(spec: dict[str, Any]) -> None:
    """Strategy defaults, and a spread placement on `host` is reported as on `instanceId` (the same thing, per
    the API reference; terraform-provider-aws #938)."""
    _strategy_defaults(spec)
    strategies = spec.get("placementStrategy")
    if isinstance(strategies, list):
        spec["placementStrategy"] = [
            {**item, "field": "instanceId"}
            if isinstance(item, dict) and item.get("type") == "spread" and str(item.get("field", "")).lower() == "host"
            else item
            for item in strategies
        ]


_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_POLICY_LISTS = ("Action", "NotAction", "Resource", "NotResource")


def _principals(value: Any) -> Any:
    """A principal list as a sorted set; an account's root ARN as the bare account id, as the policy may give it
    (ECR reports a bare id as arn:aws:iam::ID:root: crossplane-contrib/provider-aws #700)."""
    items = value if isinstance(value, list) else [value]
    out = set()
    for item in items:
        text = str(item)
        match = _ACCOUNT_ROOT.match(text)
        out.add(match.group(1) if match else text)
    return sorted(out)


def canonical_policy(policy: Any) -> Any:
    """An IAM policy document compared by meaning: a single statement or value is a one-item list, principals,
    actions and resources are sets, and an account is its id whether given bare or as its root ARN."""
    if not isinstance(policy, dict):
        return policy
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return policy
    out = []
    for statement in statements:
        if not isinstance(statement, dict):
            out.append(statement)
            continue
        statement = dict(statement)
        for key in ("Principal", "NotPrincipal"):
            if isinstance(statement.get(key), dict):
                statement[key] = {k: _principals(v) for k, v in statement[key].items()}
        for key in _POLICY_LISTS:
            value = statement.get(key)
            if isinstance(value, str | list):
                statement[key] = sorted({str(v) for v in (value if isinstance(value, list) else [value])})
        out.append(statement)
    return {**policy, "Statement": out}


def _repository_defaults(spec: dict[str, Any]) -> None:
    """ECR may hand lifecycle rules back in another order: they are a set ordered by rulePriority. The repository
    policy is compared by meaning (see canonical_policy)."""
    if "repositoryPolicy" in spec:
        spec["repositoryPolicy"] = canonical_policy(spec["repositoryPolicy"])
    policy = spec.get("lifecyclePolicy")
    if isinstance(policy, dict) and isinstance(policy.get("rules"), list):
        rules = [dict(r) for r in policy["rules"]]
        for rule in rules:
            selection = rule.get("selection")
            if isinstance(selection, dict) and isinstance(selection.get("tagPrefixList"), list):
                rule["selection"] = {**selection, "tagPrefixList": sorted(selection["tagPrefixList"])}
        spec["lifecyclePolicy"] = {**policy, "rules": sorted(rules, key=lambda r: r.get("rulePriority", 0))}


def _role_defaults(spec: dict[str, Any]) -> None:
    """IAM: Path "/" and MaxSessionDuration 3600 are the defaults CreateRole documents; the trust policy is compared
    by meaning (see canonical_policy)."""
    _drop_if(spec, "Path", "/")
    _drop_if(spec, "MaxSessionDuration", 3600)
    if "AssumeRolePolicyDocument" in spec:
        spec["AssumeRolePolicyDocument"] = canonical_policy(spec["AssumeRolePolicyDocument"])
    if isinstance(spec.get("ManagedPolicyArns"), list):
        spec["ManagedPolicyArns"] = sorted(set(spec["ManagedPolicyArns"]))


def _instance_profile_defaults(spec: dict[str, Any]) -> None:
    _drop_if(spec, "Path", "/")


def _auto_scaling_group_defaults(spec: dict[str, Any]) -> None:
    """VPCZoneIdentifier is a set of subnets written as one comma-separated string (AWS may report another order);
    a launch template's Version $Default is what AWS uses when none is given."""
    subnets = spec.get("VPCZoneIdentifier")
    if isinstance(subnets, str):
        spec["VPCZoneIdentifier"] = ",".join(sorted({s.strip() for s in subnets.split(",") if s.strip()}))
    template = spec.get("LaunchTemplate")
    if isinstance(template, dict):
        _drop_if(template, "Version", "$Default")


DEFAULTS: dict[Kind, Callable[[dict[str, Any]], None]] = {
    Kind.TASK_DEFINITION: _task_definition_defaults,
    Kind.SERVICE: _service_defaults,
    Kind.CLUSTER: _strategy_defaults,
    Kind.REPOSITORY: _repository_defaults,
    Kind.ROLE: _role_defaults,
    Kind.INSTANCE_PROFILE: _instance_profile_defaults,
    Kind.AUTO_SCALING_GROUP: _auto_scaling_group_defaults,
}


def canonical(kind: Kind, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of a spec (desired or live, already in input space)."""
    ks = KIND_SPECS[kind]
    shape = spec_shape(kind)
    tag_field = tags_member(kind)
    body = {k: v for k, v in spec.items() if k not in ks.excluded and k != "tags" and k != tag_field}
    projected = project(shape, body)
    for extra in ks.extra:  # product-level fields (e.g. ECR policies) are not in the AWS shape
        if extra in spec:
            projected[extra] = spec[extra]
    result: dict[str, Any] = canonical_lists(prune_empty(projected))
    if kind in DEFAULTS:
        DEFAULTS[kind](result)
        result = prune_empty(result)
    tags = user_tags(spec_tags(kind, spec))
    if tags:
        result["tags"] = tags
    if kind is Kind.AUTO_SCALING_GROUP and tags:
        # Auto Scaling tags carry whether instances get them at launch (false when not given: reconciler sends it).
        propagate = {str(t.get("Key")): bool(t.get("PropagateAtLaunch")) for t in spec.get("Tags") or []
                     if isinstance(t, Mapping) and t.get("Key") in tags}
        result["PropagateAtLaunch"] = dict(sorted(propagate.items()))
    return result


def left_scoped(live: Any, desired: Any) -> Any:
    """`live` restricted to the structure `desired` sets: what the manifest does not set is not ours.

    Maps are restricted key by key (recursively); lists and scalars are compared whole. Keyed lists
    turned into maps (container definitions, capacity provider strategies...) are compared whole, since
    leaving an item out of the manifest means removing it; tags are restricted by key.
    """
    if isinstance(live, Mapping) and isinstance(desired, Mapping):
        out = {}
        for key, want in desired.items():
            if key not in live:
                continue
            have = live[key]
            whole = key in KEYED_LISTS and key not in KEY_VALUE_LISTS
            out[key] = have if whole else left_scoped(have, want)
        return out
    return live
