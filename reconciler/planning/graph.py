"""Dependencies between manifests, derived from their references, and the execution order."""

from __future__ import annotations

import re

from reconciler.model.keys import KIND_ORDER, Kind, ResourceKey
from reconciler.model.manifest import Manifest

_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/([^:@]+)")


def dependencies(manifest: Manifest, keys: set[ResourceKey]) -> tuple[ResourceKey, ...]:
    """Keys (among `keys`) that must be applied before `manifest`."""
    deps: list[ResourceKey] = []
    if manifest.kind is Kind.SERVICE:
        deps.append(ResourceKey(Kind.CLUSTER, manifest.cluster))
        ref = str(manifest.spec.get("taskDefinition", ""))
        if ":" not in ref:
            deps.append(ResourceKey(Kind.TASK_DEFINITION, ref))
        elif ref.startswith("arn:") and ref.count(":") >= 6:
            family = ref.rsplit("/", 1)[-1].split(":")[0]
            deps.append(ResourceKey(Kind.TASK_DEFINITION, family))
    elif manifest.kind is Kind.TASK_DEFINITION:
        for container in manifest.spec.get("containerDefinitions", []):
            match = _ECR_IMAGE.match(str(container.get("image", "")))
            if match:
                deps.append(ResourceKey(Kind.REPOSITORY, match.group(1)))
    return tuple(sorted({d for d in deps if d in keys}))


def order_key(key: ResourceKey) -> tuple[int, str]:
    return KIND_ORDER.index(key.kind), key.name
