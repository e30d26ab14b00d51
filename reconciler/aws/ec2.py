"""Thin, typed EC2 calls for launch templates (and the instances Auto Scaling launches from them).

User data is sent base64-encoded, as EC2 wants it in a launch template, and read back as such (the callers turn it
into text). A missing template is None on reads."""

from __future__ import annotations

import base64
import contextlib
from typing import Any

from reconciler.aws.errors import all_pages, call
from reconciler.aws.service import LazyApi
from reconciler.errors import NotFoundError


def encoded(data: dict[str, Any]) -> dict[str, Any]:
    """Launch template data with its plain-text UserData base64-encoded."""
    if isinstance(data.get("UserData"), str):
        return {**data, "UserData": base64.b64encode(data["UserData"].encode()).decode()}
    return data


class Ec2Api(LazyApi):
    def describe_launch_template(self, name: str) -> dict[str, Any] | None:
        """The template (id, default and latest version numbers, Tags), or None."""
        try:
            out = call(self.client.describe_launch_templates, f"LaunchTemplate/{name}", LaunchTemplateNames=[name])
        except NotFoundError:
            return None
        found: list[dict[str, Any]] = out.get("LaunchTemplates", [])
        return found[0] if found else None

    def describe_versions(self, name: str, versions: list[str]) -> list[dict[str, Any]]:
        """The given versions ("$Default", "$Latest", numbers) of a template."""
        try:
            out = call(self.client.describe_launch_template_versions, f"LaunchTemplate/{name}",
                       LaunchTemplateName=name, Versions=versions)
        except NotFoundError:
            return []
        found: list[dict[str, Any]] = out.get("LaunchTemplateVersions", [])
        return found

    def all_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of a template (each page)."""
        try:
            found: list[dict[str, Any]] = all_pages(self.client, "describe_launch_template_versions",
                                                    "LaunchTemplateVersions", f"LaunchTemplate/{name}",
                                                    LaunchTemplateName=name)
        except NotFoundError:
            return []
        return found

    def create_launch_template(self, name: str, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        out = call(self.client.create_launch_template, f"LaunchTemplate/{name}", LaunchTemplateName=name,
                   LaunchTemplateData=encoded(data), **kwargs)
        template: dict[str, Any] = out["LaunchTemplate"]
        return template

    def create_version(self, name: str, data: dict[str, Any], description: str, token: str) -> dict[str, Any]:
        """A new version carrying every field (never SourceVersion: nothing is inherited from another version).
        `token` makes a resend after a lost response return the same version (ClientToken)."""
        out = call(self.client.create_launch_template_version, f"LaunchTemplate/{name}", LaunchTemplateName=name,
                   LaunchTemplateData=encoded(data), VersionDescription=description, ClientToken=token)
        version: dict[str, Any] = out["LaunchTemplateVersion"]
        return version

    def set_default_version(self, name: str, version: int) -> None:
        call(self.client.modify_launch_template, f"LaunchTemplate/{name}", LaunchTemplateName=name,
             DefaultVersion=str(version))

    def delete_versions(self, name: str, versions: list[int]) -> list[int]:
        """Delete versions (at most 200 per call); returns those deleted or already gone."""
        done: list[int] = []
        for i in range(0, len(versions), 200):
            batch = versions[i : i + 200]
            out = call(self.client.delete_launch_template_versions, f"LaunchTemplate/{name}",
                       LaunchTemplateName=name, Versions=[str(v) for v in batch])
            done.extend(int(v["VersionNumber"]) for v in out.get("SuccessfullyDeletedLaunchTemplateVersions", []))
            for failed in out.get("UnsuccessfullyDeletedLaunchTemplateVersions", []):
                if (failed.get("ResponseError") or {}).get("Code") == "launchTemplateVersionDoesNotExist":
                    done.append(int(failed["VersionNumber"]))
        return done

    def delete_launch_template(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):  # (a resent request whose response was lost: it is deleted)
            call(self.client.delete_launch_template, f"LaunchTemplate/{name}", LaunchTemplateName=name)

    def create_tags(self, resource_id: str, tags: dict[str, str], resource: str) -> None:
        if tags:
            call(self.client.create_tags, resource, Resources=[resource_id],
                 Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])

    def delete_tags(self, resource_id: str, keys: list[str], resource: str) -> None:
        if keys:
            call(self.client.delete_tags, resource, Resources=[resource_id], Tags=[{"Key": k} for k in sorted(keys)])

    def instance_subnets(self, instance_ids: list[str]) -> dict[str, str]:
        """The subnet of each instance (terminated ones included while EC2 still reports them)."""
        found: dict[str, str] = {}
        for i in range(0, len(instance_ids), 200):
            reservations = all_pages(self.client, "describe_instances", "Reservations", "instances",
                                     InstanceIds=instance_ids[i : i + 200])
            for reservation in reservations:
                for instance in reservation.get("Instances", []):
                    if instance.get("SubnetId"):
                        found[str(instance["InstanceId"])] = str(instance["SubnetId"])
        return found

    def describe_launch_templates(self) -> list[dict[str, Any]]:
        """Every launch template of the region (with Tags)."""
        found: list[dict[str, Any]] = all_pages(self.client, "describe_launch_templates", "LaunchTemplates",
                                                "launch templates")
        return found
