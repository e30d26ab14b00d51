"""Dependencies between manifests, derived from their references, and the execution order.

Edges: a service needs its cluster and task definition; a task definition the ECR repository its image
lives in; a one-off task its cluster and task definition, and the services it runs after; a service
needs the tasks that run before it. EC2 capacity: an instance profile needs its role, a launch template its
instance profile, an Auto Scaling group its launch template, a capacity provider its group, and a cluster,
service or task the capacity providers it names. Order: topological, ties broken by kind then name. Deletes run
in the reverse order.
"""

from __future__ import annotations

import heapq
import re

from reconciler.model import capacity_refs
from reconciler.model.keys import KIND_ORDER, Kind, ResourceKey
from reconciler.model.manifest import Manifest, service_key

_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/([^:@]+)")


class CycleError(ValueError):
    def __init__(self, keys: list[ResourceKey]) -> None:
        self.keys = keys
        super().__init__("dependency cycle between " + ", ".join(str(k) for k in keys))


def task_definition_family(ref: str) -> str | None:
    """The family a taskDefinition reference names, when it names one by family (not by revision)."""
    if ":" not in ref:
        return ref
    return None


def edges(manifests: list[Manifest]) -> dict[ResourceKey, set[ResourceKey]]:
    """key -> the keys (among the manifests) it depends on."""
    keys = {m.key for m in manifests}
    deps: dict[ResourceKey, set[ResourceKey]] = {k: set() for k in keys}
    for m in manifests:
        wanted: set[ResourceKey] = set()
        if m.kind in (Kind.SERVICE, Kind.TASK):
            wanted.add(ResourceKey(Kind.CLUSTER, m.cluster))
            ref = str(m.spec.get("taskDefinition", ""))
            family = task_definition_family(ref)
            if family is None and ref.startswith("arn:"):
                family = ref.rsplit("/", 1)[-1].split(":")[0]
            if family:
                wanted.add(ResourceKey(Kind.TASK_DEFINITION, family))
        if m.kind is Kind.TASK_DEFINITION:
            for container in m.spec.get("containerDefinitions", []):
                match = _ECR_IMAGE.match(str(container.get("image", "")))
                if match:
                    wanted.add(ResourceKey(Kind.REPOSITORY, match.group(1)))
        wanted.update(ResourceKey(kind, name) for kind, name in capacity_refs.references(m.kind, m.spec))
        if m.kind is Kind.TASK:
            for ref in m.spec.get("runAfter") or []:
                after = service_key(ref, manifests)
                if after:
                    wanted.add(after)
            for ref in m.spec.get("runBefore") or []:
                before = service_key(ref, manifests)
                if before:
                    deps[before].add(m.key)
        deps[m.key] |= {k for k in wanted if k in keys}
    return deps


def order_key(key: ResourceKey) -> tuple[int, str]:
    return KIND_ORDER.index(key.kind), key.name


def topological(deps: dict[ResourceKey, set[ResourceKey]]) -> list[ResourceKey]:
    """Dependencies first; among the ready ones, kind order then name. Raises CycleError."""
    waiting = {k: set(v) for k, v in deps.items()}
    users: dict[ResourceKey, set[ResourceKey]] = {k: set() for k in deps}
    for key, needs in deps.items():
        for need in needs:
            users[need].add(key)
    ready = [(order_key(k), k) for k, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    out: list[ResourceKey] = []
    while ready:
        _, key = heapq.heappop(ready)
        out.append(key)
        for user in sorted(users[key]):
            waiting[user].discard(key)
            if not waiting[user]:
                heapq.heappush(ready, (order_key(user), user))
    if len(out) != len(deps):
        raise CycleError(sorted(k for k in deps if k not in out))
    return out
