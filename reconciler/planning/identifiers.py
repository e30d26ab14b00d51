"""One rule for identifiers AWS reports in another form than the one it was given: the same resource is no change.

AWS accepts a name, an id or an alias for many references and reports the resource's ARN (or, since 2024, the
name back where an ARN was given: ecspresso #745). The rule: a value given as X matches the value reported as Y
when they are equal, when one is an ARN whose resource part *is* the other (an IAM role by name, with or without
its path; a KMS key by id; a Cloud Map namespace by id), or when a live read resolved one to the other (a KMS
alias to its key ARN, a Cloud Map namespace name to its ARN: `LiveState.aliases`, read by `reconciler.live`
only where this rule alone cannot decide). Pure: no AWS calls here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from reconciler.model.keys import Kind

# Fields holding a reference to another resource, by kind, as paths into the spec.
IDENTIFIER_FIELDS: dict[Kind, tuple[tuple[str, ...], ...]] = {
    Kind.CLUSTER: (("serviceConnectDefaults", "namespace"),),
    Kind.SERVICE: (("role",), ("serviceConnectConfiguration", "namespace")),
    Kind.REPOSITORY: (("encryptionConfiguration", "kmsKey"),),
    Kind.TASK_DEFINITION: (("taskRoleArn",), ("executionRoleArn",)),
    Kind.ROLE: (("PermissionsBoundary",),),
    Kind.LAUNCH_TEMPLATE: (("LaunchTemplateData", "IamInstanceProfile", "Arn"),),
    Kind.AUTO_SCALING_GROUP: (("ServiceLinkedRoleARN",),),
    Kind.CAPACITY_PROVIDER: (("autoScalingGroupProvider", "autoScalingGroupArn"),),
}


def is_arn(value: str) -> bool:
    return value.startswith("arn:") and value.count(":") >= 5


def arn_names(arn: str) -> frozenset[str]:
    """What an ARN's resource may have been given as, without asking AWS: "role/path/name" → "/path/name",
    "path/name" and "name" (IAM role names are unique in an account, whatever the path); "key/1234" → "1234";
    "namespace/ns-abc" → "ns-abc"."""
    resource = arn.split(":", 5)[5]
    _, sep, rest = resource.partition("/")
    if not sep or not rest:
        return frozenset()
    return frozenset({rest, "/" + rest, rest.rsplit("/", 1)[-1]})


def same(given: str, reported: str, aliases: Mapping[str, frozenset[str]]) -> bool:
    """Whether the identifier `given` (manifest) and the identifier `reported` (AWS) name the same resource."""
    if given == reported:
        return True
    if given in aliases.get(reported, frozenset()) or reported in aliases.get(given, frozenset()):
        return True
    if is_arn(reported) and not is_arn(given):
        return given in arn_names(reported)
    if is_arn(given) and not is_arn(reported):
        return reported in arn_names(given)
    return False


def get_path(spec: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = spec
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _set_path(spec: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = spec
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def unresolved(kind: Kind, live: Mapping[str, Any], desired: Mapping[str, Any],
               aliases: Mapping[str, frozenset[str]]) -> list[tuple[str, str]]:
    """(given, reported) identifier pairs that differ and that this rule cannot match without a live read."""
    pairs = []
    for path in IDENTIFIER_FIELDS.get(kind, ()):
        want, have = get_path(desired, path), get_path(live, path)
        if isinstance(want, str) and isinstance(have, str) and not same(want, have, aliases):
            pairs.append((want, have))
    return pairs


def as_given(kind: Kind, live: Mapping[str, Any], desired: Mapping[str, Any],
             aliases: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    """`live` with each identifier that names the same resource as the manifest's written as the manifest writes
    it, so that the diff shows only real changes (a different role, another key). One that names another
    resource is shown by its name when a live read found one (a namespace ARN as the namespace's name)."""
    out: dict[str, Any] | None = None
    for path in IDENTIFIER_FIELDS.get(kind, ()):
        want, have = get_path(desired, path), get_path(live, path)
        if not (isinstance(want, str) and isinstance(have, str)) or want == have:
            continue
        shown = want if same(want, have, aliases) else min(aliases[have]) if aliases.get(have) else None
        if shown is not None:
            if out is None:
                out = copy.deepcopy(dict(live))
            _set_path(out, path, shown)
    return out if out is not None else dict(live)
