"""Read IAM roles: the role (trust policy, description, session duration, permissions boundary, tags) and the
managed policies attached to it, mapped onto CreateRole input names (plus ManagedPolicyArns)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from reconciler.aws.iam import IamApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def policy_document(value: Any) -> Any:
    """A policy document as an object: boto3 decodes it; IAM's raw answer is URL-encoded JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(urllib.parse.unquote(value))
        except ValueError:
            return value
    return value


def role_spec(role: dict[str, Any], attached: list[str]) -> dict[str, Any]:
    spec = dict(role)
    spec["AssumeRolePolicyDocument"] = policy_document(role.get("AssumeRolePolicyDocument"))
    boundary = role.get("PermissionsBoundary")
    if isinstance(boundary, dict):  # GetRole reports {PermissionsBoundaryType, PermissionsBoundaryArn}
        spec["PermissionsBoundary"] = boundary.get("PermissionsBoundaryArn")
    spec["ManagedPolicyArns"] = sorted(attached)
    return spec


def read_role(name: str, iam: IamApi) -> LiveResource | None:
    role = iam.get_role(name)
    if role is None:
        return None
    spec = role_spec(role, iam.attached_policies(name))
    return LiveResource(Kind.ROLE, name, str(role["Arn"]), spec, tags_to_map(role.get("Tags")))


def read(state: LiveState, names: list[str], iam: IamApi) -> None:
    for name in names:
        found = read_role(name, iam)
        if found is not None:
            state.roles[name] = found
