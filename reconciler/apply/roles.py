"""Create and update IAM roles: trust policy, description, session duration, permissions boundary, the managed
policies attached (attached and detached to match the manifest), tags. Replacing one (a new Path) detaches,
deletes and creates it again."""

from __future__ import annotations

from typing import Any

from reconciler.apply import ownership
from reconciler.apply.context import ApplyContext, changed_fields, removed_tags
from reconciler.errors import AwsError
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import tags_to_map

CREATE_FIELDS = ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary")


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.action is Action.CREATE:
        return _create(m, ctx)
    if change.action is Action.REPLACE:
        delete_role(m.name, ctx)
        return "deleted and " + _create(m, ctx)
    iam = ctx.apis.iam
    fields = changed_fields(change)
    done = []
    if "AssumeRolePolicyDocument" in fields:
        iam.update_trust_policy(m.name, m.spec["AssumeRolePolicyDocument"])
        done.append("trust policy")
    update = {k: m.spec[k] for k in ("Description", "MaxSessionDuration") if k in fields and k in m.spec}
    if update:
        iam.update_role(m.name, **update)
        done.extend(update)
    if "PermissionsBoundary" in fields:
        if m.spec.get("PermissionsBoundary"):
            iam.put_permissions_boundary(m.name, m.spec["PermissionsBoundary"])
        else:
            iam.delete_permissions_boundary(m.name)
        done.append("permissions boundary")
    if "ManagedPolicyArns" in fields:
        done.append(_match_policies(m, ctx))
    if "tags" in fields:
        iam.tag_role(m.name, ctx.tags_for(m))
        iam.untag_role(m.name, removed_tags(change))
        done.append("tags")
    return "updated " + ", ".join(done)


def _match_policies(m: Manifest, ctx: ApplyContext) -> str:
    iam = ctx.apis.iam
    wanted = set(m.spec.get("ManagedPolicyArns") or [])
    attached = set(iam.attached_policies(m.name))
    for arn in sorted(wanted - attached):
        iam.attach_policy(m.name, arn)
    for arn in sorted(attached - wanted):
        iam.detach_policy(m.name, arn)
    return f"managed policies (+{len(wanted - attached)} -{len(attached - wanted)})"


def _create(m: Manifest, ctx: ApplyContext) -> str:
    iam = ctx.apis.iam
    kwargs: dict[str, Any] = {k: m.spec[k] for k in CREATE_FIELDS if k in m.spec}
    tags = ctx.tags_for(m)
    try:
        iam.create_role(m.name, m.spec["AssumeRolePolicyDocument"],
                        Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())], **kwargs)
    except AwsError as exc:
        existing = iam.get_role(m.name) if exc.code == "EntityAlreadyExists" else None
        if existing is None or not ownership.made_by_us(m, ctx, tags_to_map(existing.get("Tags"))):
            raise
    for arn in m.spec.get("ManagedPolicyArns") or []:
        iam.attach_policy(m.name, arn)  # (attaching an attached policy changes nothing)
    policies = len(m.spec.get("ManagedPolicyArns") or [])
    return "created" + (f" with {policies} managed polic{'y' if policies == 1 else 'ies'}" if policies else "")


def delete_role(name: str, ctx: ApplyContext) -> None:
    """Take the role out of its instance profiles, detach its policies, delete its inline ones, delete it (IAM
    refuses to delete a role that still has any of these)."""
    iam = ctx.apis.iam
    for profile in iam.profiles_of_role(name):
        iam.remove_role(profile, name)
    for arn in iam.attached_policies(name):
        iam.detach_policy(name, arn)
    for policy in iam.inline_policies(name):
        iam.delete_inline_policy(name, policy)
    iam.delete_role(name)
