"""Creates that AWS does not make idempotent: a request whose response was lost, sent again, meets the resource it
made ("already exists"). It is ours when it carries the ownership tags that were in the same request."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.apply.context import ApplyContext
from reconciler.model.manifest import Manifest
from reconciler.model.tags import MANIFEST_TAG, OWNER_TAG


def made_by_us(m: Manifest, ctx: ApplyContext, tags: Mapping[str, str] | None) -> bool:
    """Whether the existing resource's tags say this apply's owner made it for this manifest."""
    if tags is None:
        return False
    return tags.get(OWNER_TAG) == ctx.owner and tags.get(MANIFEST_TAG) == f"{m.kind.value}/{m.name}"
