"""Read ECR repositories, their tags and policies (each repository's reads one after another, repositories at
once)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from reconciler.aws.ecr import EcrApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState


def read_one(name: str, ecr: EcrApi) -> LiveResource | None:
    repo = ecr.describe_repository(name)
    if repo is None:
        return None
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
    return LiveResource(Kind.REPOSITORY, name, arn, spec, tags)


def reads(names: list[str], ecr: EcrApi) -> list[Callable[[], LiveResource | None]]:
    return [partial(read_one, name, ecr) for name in names]


def merge(state: LiveState, found: list[LiveResource | None]) -> None:
    for resource in found:
        if resource is not None:
            state.repositories[resource.name] = resource


def read(state: LiveState, names: list[str], ecr: EcrApi) -> None:
    merge(state, [call() for call in reads(names, ecr)])
