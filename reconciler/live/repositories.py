"""Read ECR repositories, their tags and policies."""

from __future__ import annotations

from reconciler.aws.ecr import EcrApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState


def read(state: LiveState, names: list[str], ecr: EcrApi) -> None:
    for name in names:
        repo = ecr.describe_repository(name)
        if repo is None:
            continue
        arn = repo["repositoryArn"]
        tags = ecr.list_tags(arn, name)
        spec = {k: v for k, v in repo.items() if k not in ("repositoryArn", "repositoryName", "registryId")}
        spec["tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        lifecycle = ecr.get_lifecycle_policy(name)
        if lifecycle is not None:
            spec["lifecyclePolicy"] = lifecycle
        policy = ecr.get_repository_policy(name)
        if policy is not None:
            spec["repositoryPolicy"] = policy
        state.repositories[name] = LiveResource(Kind.REPOSITORY, name, arn, spec, tags)
