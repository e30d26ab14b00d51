"""Read EC2 launch templates: the template (id, default and latest version numbers, tags) and its default version
(what new instances launch from unless a group pins another), with UserData as text. The version's description
carries the digest of what reconciler created it from (reconciler.planning.launch_templates)."""

from __future__ import annotations

from typing import Any

from reconciler.aws.ec2 import Ec2Api
from reconciler.model.capacity_refs import user_data_text
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import LAUNCH_TEMPLATE_RESOURCE, tags_to_map


def template_data(data: dict[str, Any]) -> dict[str, Any]:
    """Launch template data as the manifest writes it: UserData as text (AWS reports it base64-encoded)."""
    out = dict(data)
    if isinstance(out.get("UserData"), str):
        out["UserData"] = user_data_text(out["UserData"])
    return out


def read_template(name: str, ec2: Ec2Api) -> LiveResource | None:
    template = ec2.describe_launch_template(name)
    if template is None:
        return None
    tags = tags_to_map(template.get("Tags"))
    default = int(template.get("DefaultVersionNumber") or 1)
    versions = ec2.describe_versions(name, [str(default)])
    version = versions[0] if versions else {}
    spec: dict[str, Any] = {"LaunchTemplateData": template_data(version.get("LaunchTemplateData") or {})}
    if tags:
        spec["TagSpecifications"] = [{"ResourceType": LAUNCH_TEMPLATE_RESOURCE,
                                      "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    detail = {"id": template.get("LaunchTemplateId"), "default": default,
              "latest": int(template.get("LatestVersionNumber") or default),
              "description": str(version.get("VersionDescription") or "")}
    arn = f"launch-template/{template.get('LaunchTemplateId')}"  # (EC2 reports no ARN; the id names it)
    return LiveResource(Kind.LAUNCH_TEMPLATE, name, arn, spec, tags, detail=detail)


def read(state: LiveState, names: list[str], ec2: Ec2Api) -> None:
    for name in names:
        if name in state.launch_templates:
            continue
        found = read_template(name, ec2)
        if found is not None:
            state.launch_templates[name] = found
