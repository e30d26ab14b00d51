"""Thin, typed ECR calls. Policies are returned parsed (AWS stores them as JSON text)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.aws.errors import all_pages, call
from reconciler.errors import NotFoundError


class EcrApi:
    def __init__(self, client: Any) -> None:
        self.client = client

    def describe_repository(self, name: str) -> dict[str, Any] | None:
        try:
            out = call(self.client.describe_repositories, f"Repository/{name}", repositoryNames=[name])
        except NotFoundError:
            return None
        repos: list[dict[str, Any]] = out.get("repositories", [])
        return repos[0] if repos else None

    def list_tags(self, arn: str, name: str) -> dict[str, str]:
        out = call(self.client.list_tags_for_resource, f"Repository/{name}", resourceArn=arn)
        return {t["Key"]: t["Value"] for t in out.get("tags", [])}

    def get_lifecycle_policy(self, name: str) -> dict[str, Any] | None:
        try:
            out = call(self.client.get_lifecycle_policy, f"Repository/{name}", repositoryName=name)
        except NotFoundError:
            return None
        policy: dict[str, Any] = json.loads(out["lifecyclePolicyText"])
        return policy

    def get_repository_policy(self, name: str) -> dict[str, Any] | None:
        try:
            out = call(self.client.get_repository_policy, f"Repository/{name}", repositoryName=name)
        except NotFoundError:
            return None
        policy: dict[str, Any] = json.loads(out["policyText"])
        return policy

    def create_repository(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.create_repository,
                                   f"Repository/{kwargs.get('repositoryName')}", **kwargs)["repository"]
        return out

    def delete_repository(self, name: str, force: bool = False) -> None:
        call(self.client.delete_repository, f"Repository/{name}", repositoryName=name, force=force)

    def put_image_tag_mutability(self, name: str, mutability: str, exclusion_filters: list[Any] | None = None) -> None:
        extra = {"imageTagMutabilityExclusionFilters": exclusion_filters} if exclusion_filters is not None else {}
        call(self.client.put_image_tag_mutability, f"Repository/{name}", repositoryName=name,
             imageTagMutability=mutability, **extra)

    def put_image_scanning_configuration(self, name: str, config: dict[str, Any]) -> None:
        call(self.client.put_image_scanning_configuration, f"Repository/{name}", repositoryName=name,
             imageScanningConfiguration=config)

    def put_lifecycle_policy(self, name: str, policy: dict[str, Any]) -> None:
        call(self.client.put_lifecycle_policy, f"Repository/{name}", repositoryName=name,
             lifecyclePolicyText=json.dumps(policy, sort_keys=True))

    def delete_lifecycle_policy(self, name: str) -> None:
        call(self.client.delete_lifecycle_policy, f"Repository/{name}", repositoryName=name)

    def set_repository_policy(self, name: str, policy: dict[str, Any]) -> None:
        call(self.client.set_repository_policy, f"Repository/{name}", repositoryName=name,
             policyText=json.dumps(policy, sort_keys=True))

    def delete_repository_policy(self, name: str) -> None:
        call(self.client.delete_repository_policy, f"Repository/{name}", repositoryName=name)

    def tag_resource(self, arn: str, tags: dict[str, str], name: str) -> None:
        if tags:
            call(self.client.tag_resource, f"Repository/{name}", resourceArn=arn,
                 tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])

    def untag_resource(self, arn: str, keys: list[str], name: str) -> None:
        if keys:
            call(self.client.untag_resource, f"Repository/{name}", resourceArn=arn, tagKeys=sorted(keys))

    def describe_repositories(self) -> list[dict[str, Any]]:
        repositories: list[dict[str, Any]] = all_pages(self.client, "describe_repositories", "repositories",
                                                       "repositories")
        return repositories
