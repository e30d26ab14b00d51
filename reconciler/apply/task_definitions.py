"""Register task definition revisions (only when the content changed: that is what the plan says), exactly once
each, and record what AWS reports for them (the loop guard: reconciler.planning.loopguard)."""

from __future__ import annotations

from reconciler.apply import idempotency
from reconciler.apply.context import ApplyContext, removed_tags
from reconciler.errors import AwsError
from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest
from reconciler.model.plan import ResourceChange
from reconciler.model.tags import AWS_FILLED_TAG, READBACK_TAG, SENT_DIGEST_TAG
from reconciler.planning import loopguard
from reconciler.planning.diff import diff
from reconciler.planning.normalize import canonical


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    if change.arn is not None and all(f.path.startswith("tags") for f in change.fields):
        # Tags are not part of a revision's content: retag the latest revision in place.
        recorded = {f.path[5:-1]: str(f.after) for f in change.fields
                    if f.path in (f"tags[{READBACK_TAG}]", f"tags[{AWS_FILLED_TAG}]") and f.after is not None}
        ctx.ecs.tag_resource(change.arn, {**ctx.tags_for(m), **recorded}, str(m.key))
        ctx.ecs.untag_resource(change.arn, removed_tags(change), str(m.key))
        ctx.registered[m.name] = change.arn
        revision = change.arn.rsplit("/", 1)[-1]
        if recorded:
            return f"recorded what AWS reports for {revision}: {change.reason}"
        return f"retagged {revision}"
    assert change.desired is not None
    digest = loopguard.sent_digest(change.desired)
    tags = {**ctx.tags_for(m), SENT_DIGEST_TAG: digest}
    request = {k: v for k, v in m.spec.items() if k != "tags"}
    request["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]
    newer_than = int(loopguard.revision_of(change.arn)) if change.arn else 0
    arn, found = idempotency.register_task_definition(ctx.ecs, m.name, request, digest, newer_than)
    ctx.registered[m.name] = arn
    message = f"registered {arn.rsplit('/', 1)[-1]}"
    if found:
        message += " (its response was lost: found the revision it registered, not registered again)"
    return message + _read_back(ctx, m, arn, change.desired)


def _read_back(ctx: ApplyContext, m: Manifest, arn: str, desired: dict[str, object]) -> str:
    """Describe the new revision, tag it with what AWS reports, and say which fields AWS filled in (once: later
    plans do not show them). A failure here is not the registration's: the next plan records it."""
    try:
        found = ctx.ecs.describe_task_definition(arn)
        if found is None:
            return ""
        reported = loopguard.content_of(canonical(Kind.TASK_DEFINITION, found[0]))
        filled = [f.path for f in diff(reported, loopguard.content_of(desired))]
        record = {READBACK_TAG: loopguard.readback_value(arn, found[0])}
        if filled and (known := loopguard.filled_value(filled)) is not None:
            record[AWS_FILLED_TAG] = known
        ctx.ecs.tag_resource(arn, record, str(m.key))
    except AwsError as exc:
        return f"; what AWS reports for it was not recorded ({exc.code}): the next plan records it"
    if not filled:
        return ""
    return (f"; warning: AWS reports {', '.join(filled)}, which was not sent: recorded as filled in by AWS, "
            "not planned as a change")
