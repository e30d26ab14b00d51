"""Create, update and replace ECR repositories (settings, lifecycle and repository policies, tags)."""

from __future__ import annotations

import contextlib
from typing import Any

from reconciler.apply.context import ApplyContext, changed_fields, removed_tags
from reconciler.errors import AwsError, NotFoundError
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import MANIFEST_TAG, OWNER_TAG

POLICY_FIELDS = ("lifecyclePolicy", "repositoryPolicy")


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.action is Action.CREATE:
        return _create(m, ctx)
    if change.action is Action.REPLACE:
        # Refused by AWS while it holds images: nothing is lost. Not found: a request whose response was lost.
        with contextlib.suppress(NotFoundError):
            ctx.ecr.delete_repository(m.name)
        return "deleted and " + _create(m, ctx)
    assert change.arn is not None
    fields = changed_fields(change)
    spec = m.spec
    done = []
    if fields & {"imageTagMutability", "imageTagMutabilityExclusionFilters"}:
        ctx.ecr.put_image_tag_mutability(m.name, spec.get("imageTagMutability", "MUTABLE"),
                                         spec.get("imageTagMutabilityExclusionFilters"))
        done.append("tag mutability")
    if "imageScanningConfiguration" in fields:
        ctx.ecr.put_image_scanning_configuration(m.name, spec["imageScanningConfiguration"])
        done.append("scanning configuration")
    if "lifecyclePolicy" in fields:
        ctx.ecr.put_lifecycle_policy(m.name, spec["lifecyclePolicy"])
        done.append("lifecycle policy")
    if "repositoryPolicy" in fields:
        ctx.ecr.set_repository_policy(m.name, spec["repositoryPolicy"])
        done.append("repository policy")
    if "tags" in fields:
        ctx.ecr.tag_resource(change.arn, ctx.tags_for(m), m.name)
        ctx.ecr.untag_resource(change.arn, removed_tags(change), m.name)
        done.append("tags")
    return "updated " + ", ".join(done)


def _created_by_us(m: Manifest, ctx: ApplyContext) -> bool:
    """CreateRepository is not idempotent: when a request whose response was lost is sent again, AWS answers
    RepositoryAlreadyExistsException. The repository is the one we created when it carries our tags (they were
    in the same request)."""
    repo = ctx.ecr.describe_repository(m.name)
    if repo is None:
        return False
    tags = ctx.ecr.list_tags(repo["repositoryArn"], m.name)
    return tags.get(OWNER_TAG) == ctx.owner and tags.get(MANIFEST_TAG) == f"{m.kind.value}/{m.name}"


def _create(m: Manifest, ctx: ApplyContext) -> str:
    kwargs: dict[str, Any] = {k: v for k, v in m.spec.items() if k not in (*POLICY_FIELDS, "tags")}
    tags = [{"Key": k, "Value": v} for k, v in sorted(ctx.tags_for(m).items())]
    try:
        ctx.ecr.create_repository(repositoryName=m.name, tags=tags, **kwargs)
    except AwsError as exc:
        if exc.code != "RepositoryAlreadyExistsException" or not _created_by_us(m, ctx):
            raise
    if "lifecyclePolicy" in m.spec:
        ctx.ecr.put_lifecycle_policy(m.name, m.spec["lifecyclePolicy"])
    if "repositoryPolicy" in m.spec:
        ctx.ecr.set_repository_policy(m.name, m.spec["repositoryPolicy"])
    return "created"
