"""Thin, typed IAM calls for roles and instance profiles. IAM is global (one endpoint for every region). A missing
entity is None on reads and "already done" for the deletes that callers make idempotent."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from reconciler.aws.errors import all_pages, call
from reconciler.aws.service import LazyApi
from reconciler.errors import NotFoundError


class IamApi(LazyApi):
    # --- roles ---------------------------------------------------------------------------------------------------
    def get_role(self, name: str) -> dict[str, Any] | None:
        """The role (with its Tags and PermissionsBoundary), or None."""
        try:
            out = call(self.client.get_role, f"Role/{name}", RoleName=name)
        except NotFoundError:
            return None
        role: dict[str, Any] = out["Role"]
        return role

    def attached_policies(self, name: str) -> list[str]:
        found = all_pages(self.client, "list_attached_role_policies", "AttachedPolicies", f"Role/{name}",
                          RoleName=name)
        return [str(p["PolicyArn"]) for p in found]

    def inline_policies(self, name: str) -> list[str]:
        return [str(p) for p in all_pages(self.client, "list_role_policies", "PolicyNames", f"Role/{name}",
                                          RoleName=name)]

    def profiles_of_role(self, name: str) -> list[str]:
        found = all_pages(self.client, "list_instance_profiles_for_role", "InstanceProfiles", f"Role/{name}",
                          RoleName=name)
        return [str(p["InstanceProfileName"]) for p in found]

    def create_role(self, name: str, trust_policy: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        out = call(self.client.create_role, f"Role/{name}", RoleName=name,
                   AssumeRolePolicyDocument=json.dumps(trust_policy, sort_keys=True), **kwargs)
        role: dict[str, Any] = out["Role"]
        return role

    def update_role(self, name: str, **kwargs: Any) -> None:
        call(self.client.update_role, f"Role/{name}", RoleName=name, **kwargs)

    def update_trust_policy(self, name: str, trust_policy: dict[str, Any]) -> None:
        call(self.client.update_assume_role_policy, f"Role/{name}", RoleName=name,
             PolicyDocument=json.dumps(trust_policy, sort_keys=True))

    def put_permissions_boundary(self, name: str, arn: str) -> None:
        call(self.client.put_role_permissions_boundary, f"Role/{name}", RoleName=name, PermissionsBoundary=arn)

    def delete_permissions_boundary(self, name: str) -> None:
        call(self.client.delete_role_permissions_boundary, f"Role/{name}", RoleName=name)

    def attach_policy(self, name: str, arn: str) -> None:
        call(self.client.attach_role_policy, f"Role/{name}", RoleName=name, PolicyArn=arn)

    def detach_policy(self, name: str, arn: str) -> None:
        """Detach (a policy no longer attached counts as detached: a resent request whose response was lost)."""
        with contextlib.suppress(NotFoundError):
            call(self.client.detach_role_policy, f"Role/{name}", RoleName=name, PolicyArn=arn)

    def delete_inline_policy(self, name: str, policy: str) -> None:
        with contextlib.suppress(NotFoundError):
            call(self.client.delete_role_policy, f"Role/{name}", RoleName=name, PolicyName=policy)

    def tag_role(self, name: str, tags: dict[str, str]) -> None:
        if tags:
            call(self.client.tag_role, f"Role/{name}", RoleName=name,
                 Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])

    def untag_role(self, name: str, keys: list[str]) -> None:
        if keys:
            call(self.client.untag_role, f"Role/{name}", RoleName=name, TagKeys=sorted(keys))

    def delete_role(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):  # (a resent request whose response was lost: it is deleted)
            call(self.client.delete_role, f"Role/{name}", RoleName=name)

    def roles_with_tags(self) -> list[dict[str, Any]]:
        """Every role of the account with its tags, in a few pages (ListRoles reports no tags: this is one call per
        page of roles instead of one per role; needs iam:GetAccountAuthorizationDetails)."""
        roles: list[dict[str, Any]] = all_pages(self.client, "get_account_authorization_details", "RoleDetailList",
                                                "roles", Filter=["Role"])
        return roles

    # --- instance profiles ---------------------------------------------------------------------------------------
    def get_instance_profile(self, name: str) -> dict[str, Any] | None:
        """The instance profile (with its Roles and Tags), or None."""
        try:
            out = call(self.client.get_instance_profile, f"InstanceProfile/{name}", InstanceProfileName=name)
        except NotFoundError:
            return None
        profile: dict[str, Any] = out["InstanceProfile"]
        return profile

    def create_instance_profile(self, name: str, **kwargs: Any) -> dict[str, Any]:
        out = call(self.client.create_instance_profile, f"InstanceProfile/{name}", InstanceProfileName=name,
                   **kwargs)
        profile: dict[str, Any] = out["InstanceProfile"]
        return profile

    def add_role(self, name: str, role: str) -> None:
        call(self.client.add_role_to_instance_profile, f"InstanceProfile/{name}", InstanceProfileName=name,
             RoleName=role)

    def remove_role(self, name: str, role: str) -> None:
        with contextlib.suppress(NotFoundError):
            call(self.client.remove_role_from_instance_profile, f"InstanceProfile/{name}",
                 InstanceProfileName=name, RoleName=role)

    def tag_instance_profile(self, name: str, tags: dict[str, str]) -> None:
        if tags:
            call(self.client.tag_instance_profile, f"InstanceProfile/{name}", InstanceProfileName=name,
                 Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])

    def untag_instance_profile(self, name: str, keys: list[str]) -> None:
        if keys:
            call(self.client.untag_instance_profile, f"InstanceProfile/{name}", InstanceProfileName=name,
                 TagKeys=sorted(keys))

    def delete_instance_profile(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):
            call(self.client.delete_instance_profile, f"InstanceProfile/{name}", InstanceProfileName=name)

    def list_instance_profiles(self) -> list[dict[str, Any]]:
        profiles: list[dict[str, Any]] = all_pages(self.client, "list_instance_profiles", "InstanceProfiles",
                                                   "instance profiles")
        return profiles
