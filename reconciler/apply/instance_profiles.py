"""Create and update IAM instance profiles: the role they hold (one at most), tags."""

from __future__ import annotations

from typing import Any

from reconciler.apply import ownership
from reconciler.apply.context import ApplyContext, changed_fields, removed_tags
from reconciler.errors import AwsError
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import tags_to_map


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.action is Action.CREATE:
        return _create(m, ctx)
    if change.action is Action.REPLACE:
        delete_profile(m.name, ctx)
        return "deleted and " + _create(m, ctx)
    iam = ctx.apis.iam
    fields = changed_fields(change)
    done = []
    if "Roles" in fields:
        done.append(_match_roles(m, ctx))
    if "tags" in fields:
        iam.tag_instance_profile(m.name, ctx.tags_for(m))
        iam.untag_instance_profile(m.name, removed_tags(change))
        done.append("tags")
    return "updated " + ", ".join(done)


def _roles_now(name: str, ctx: ApplyContext) -> list[str]:
    profile = ctx.apis.iam.get_instance_profile(name) or {}
    return [str(r.get("RoleName")) for r in profile.get("Roles") or []]


def _match_roles(m: Manifest, ctx: ApplyContext) -> str:
    iam = ctx.apis.iam
    wanted = [str(r) for r in m.spec.get("Roles") or []]
    held = _roles_now(m.name, ctx)
    for role in held:
        if role not in wanted:
            iam.remove_role(m.name, role)
    for role in wanted:
        if role not in held:
            _add_role(m.name, role, ctx)
    return "role " + (", ".join(wanted) or "removed")


def _add_role(name: str, role: str, ctx: ApplyContext) -> None:
    try:
        ctx.apis.iam.add_role(name, role)
    except AwsError as exc:
        # A resent request whose response was lost meets the quota of one role: it is in already.
        if exc.code != "LimitExceeded" or role not in _roles_now(name, ctx):
            raise


def _create(m: Manifest, ctx: ApplyContext) -> str:
    iam = ctx.apis.iam
    kwargs: dict[str, Any] = {"Path": m.spec["Path"]} if "Path" in m.spec else {}
    tags = ctx.tags_for(m)
    try:
        iam.create_instance_profile(m.name, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                                    **kwargs)
    except AwsError as exc:
        existing = iam.get_instance_profile(m.name) if exc.code == "EntityAlreadyExists" else None
        if existing is None or not ownership.made_by_us(m, ctx, tags_to_map(existing.get("Tags"))):
            raise
    for role in m.spec.get("Roles") or []:
        if role not in _roles_now(m.name, ctx):
            _add_role(m.name, str(role), ctx)
    roles = ", ".join(m.spec.get("Roles") or [])
    return "created" + (f" holding role {roles}" if roles else "")


def delete_profile(name: str, ctx: ApplyContext) -> None:
    for role in _roles_now(name, ctx):
        ctx.apis.iam.remove_role(name, role)
    ctx.apis.iam.delete_instance_profile(name)
