"""Register task definition revisions (only when the content changed: that is what the plan says)."""

from __future__ import annotations

from reconciler.apply.context import ApplyContext, removed_tags
from reconciler.model.manifest import Manifest
from reconciler.model.plan import ResourceChange


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.arn is not None and all(f.path.startswith("tags") for f in change.fields):
        # Tags are not part of a revision's content: retag the latest revision in place.
        ctx.ecs.tag_resource(change.arn, ctx.tags_for(m), str(m.key))
        ctx.ecs.untag_resource(change.arn, removed_tags(change), str(m.key))
        ctx.registered[m.name] = change.arn
        return f"retagged {change.arn.rsplit('/', 1)[-1]}"
    tags = [{"key": k, "value": v} for k, v in sorted(ctx.tags_for(m).items())]
    body = {k: v for k, v in m.spec.items() if k != "tags"}
    registered = ctx.ecs.register_task_definition(family=m.name, tags=tags, **body)
    arn = str(registered["taskDefinitionArn"])
    ctx.registered[m.name] = arn
    return f"registered {arn.rsplit('/', 1)[-1]}"
