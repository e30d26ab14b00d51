"""Create and update EC2 launch templates. A change of the data creates a new version carrying every field (never
built on another version: EC2 would copy fields the manifest dropped), makes it the default, and deletes the versions
beyond the last N (never the default one, nor one an Auto Scaling group names by number). Each version's description
records the digest of what it was created from (the loop guard: reconciler.planning.launch_templates); its
ClientToken makes a resend after a lost response return the same version."""

from __future__ import annotations

from typing import Any

from reconciler.apply.context import ApplyContext, changed_fields, client_token, removed_tags
from reconciler.model import capacity_refs
from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import tag_list
from reconciler.planning import launch_templates as guard
from reconciler.planning.normalize import canonical


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    ec2 = ctx.apis.ec2
    digest = guard.sent_digest(canonical(Kind.LAUNCH_TEMPLATE, m.spec))
    data: dict[str, Any] = m.spec["LaunchTemplateData"]
    if change.action is Action.CREATE:
        ec2.create_launch_template(m.name, data, VersionDescription=guard.description(digest),
                                   TagSpecifications=tag_list(Kind.LAUNCH_TEMPLATE, ctx.tags_for(m)),
                                   ClientToken=client_token("CreateLaunchTemplate", m.name, digest))
        ctx.template_versions[m.name] = 1
        return "created (version 1)"
    current = ctx.live.launch_templates[m.name]
    fields = changed_fields(change)
    done = []
    if "LaunchTemplateData" in fields:
        latest = int(current.detail.get("latest") or 0)
        version = ec2.create_version(m.name, data, guard.description(digest),
                                     client_token("CreateLaunchTemplateVersion", m.name, digest, latest))
        number = int(version["VersionNumber"])
        ec2.set_default_version(m.name, number)
        ctx.template_versions[m.name] = number
        done.append(f"version {number} (the default now)")
        deleted = _delete_old_versions(m.name, number, ctx)
        if deleted:
            done.append(f"deleted version{'s' if len(deleted) > 1 else ''} {', '.join(map(str, deleted))}")
    if "tags" in fields:
        template_id = str(current.detail.get("id"))
        ec2.create_tags(template_id, ctx.tags_for(m), str(m.key))
        ec2.delete_tags(template_id, removed_tags(change), str(m.key))
        done.append("tags")
    return "updated: " + ", ".join(done)


def _pinned(name: str, ctx: ApplyContext) -> set[int]:
    """Versions of template `name` that Auto Scaling groups (manifests, or read for this plan) name by number."""
    specs = [m.spec for m in ctx.manifests if m.kind is Kind.AUTO_SCALING_GROUP]
    specs += [g.spec for g in ctx.live.auto_scaling_groups.values()]
    out = set()
    for spec in specs:
        template = capacity_refs.group_template(spec) or {}
        if template.get("LaunchTemplateName") == name and str(template.get("Version", "")).isdigit():
            out.add(int(template["Version"]))
    return out


def _delete_old_versions(name: str, default: int, ctx: ApplyContext) -> list[int]:
    numbers = sorted((int(v["VersionNumber"]) for v in ctx.apis.ec2.all_versions(name)), reverse=True)
    keep = set(numbers[: ctx.keep_versions]) | {default} | _pinned(name, ctx)
    old = sorted(n for n in numbers if n not in keep)
    return ctx.apis.ec2.delete_versions(name, old) if old else []
