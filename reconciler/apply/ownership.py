"""Whose a resource is. Creates that AWS does not make idempotent: a request whose response was lost, sent again,
meets the resource it made ("already exists"); it is ours when it carries the ownership tags that were in the same
request. Deletes: ownership is checked again right before each one."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.apply.context import ApplyContext
from reconciler.errors import AwsError
from reconciler.model.manifest import Manifest
from reconciler.model.plan import ResourceChange
from reconciler.model.tags import MANIFEST_TAG, OWNER_TAG


def made_by_us(m: Manifest, ctx: ApplyContext, tags: Mapping[str, str] | None) -> bool:
    """Whether the existing resource's tags say this apply's owner made it for this manifest."""
    if tags is None:
        return False
    return tags.get(OWNER_TAG) == ctx.owner and tags.get(MANIFEST_TAG) == f"{m.kind.value}/{m.name}"


def refuse_unless_ours(change: ResourceChange, operation: str, tags: Mapping[str, str], ctx: ApplyContext) -> None:
    """Refuse to delete what someone else took over since the plan (its owner tag is not ours any more)."""
    holder = tags.get(OWNER_TAG)
    if holder != ctx.owner:
        who = "no owner tag" if holder is None else f"owner {holder!r}"
        raise AwsError(operation, "NotOwned", f"it now carries {who}, not {ctx.owner!r}: not deleted", str(change.key))
