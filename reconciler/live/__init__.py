"""Read-only observers of AWS: read exactly what a set of manifests needs for one plan.

Reads run in steps; within a step every call is independent of the others and they run at once
(reconciler.live.parallel: bounded threads, results merged in one thread in a fixed order). A read added for a
new kind joins the step whose answers it needs: `reads(...)` returning calls, and `merge(state, results)`.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws.capacity import CapacityApis
from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.aws.lookups import Lookups
from reconciler.live import (
    capacity,
    clusters,
    identities,
    owned,
    owned_capacity,
    repositories,
    services,
    task_definitions,
)
from reconciler.live.cache import RevisionCache
from reconciler.live.parallel import gather
from reconciler.loader import ManifestSet
from reconciler.model.keys import Kind
from reconciler.model.live import LiveState


def read_live(manifests: ManifestSet, ecs: EcsApi, ecr: EcrApi, owner: str | None = None,
              lookups: Lookups | None = None, capacity_apis: CapacityApis | None = None, *,
              cache: RevisionCache | None = None) -> LiveState:
    """What AWS holds for `manifests`; with `owner`, also everything that owner owns (for pruning). With
    `lookups`, identifiers the manifests give differently than AWS reports them are resolved (KMS, Cloud Map).
    With `capacity_apis`, the EC2 capacity kinds are read too (IAM, EC2, Auto Scaling, capacity providers).
    `cache` holds task definition revisions already read (none: a cache for this read only)."""
    cache = cache if cache is not None else RevisionCache()
    cache.begin_read()
    state = LiveState()
    service_manifests = manifests.of_kind(Kind.SERVICE)
    task_manifests = manifests.of_kind(Kind.TASK)
    users = service_manifests + task_manifests  # what refers to clusters and task definitions
    cluster_names = sorted({m.name for m in manifests.of_kind(Kind.CLUSTER)} | {m.cluster for m in users})
    families = [m.name for m in manifests.of_kind(Kind.TASK_DEFINITION)]
    refs = [str(m.spec["taskDefinition"]) for m in users]
    reader = task_definitions.Reader(ecs, cache, families, [r for r in refs if r not in families],
                                     {str(m.spec["taskDefinition"]) for m in task_manifests})

    # Step 1: clusters, repositories, what we own, and task definitions by family.
    cluster_calls = clusters.reads(cluster_names, ecs)
    repository_calls = repositories.reads([m.name for m in manifests.of_kind(Kind.REPOSITORY)], ecr)
    owned_calls = [lambda: owned.read_owned(ecs, ecr, owner)] if owner is not None else []
    results: list[Any] = gather([*cluster_calls, *repository_calls, *owned_calls, *reader.first()])
    clusters.merge(state, results[: len(cluster_calls)])
    repositories.merge(state, results[len(cluster_calls) : len(cluster_calls) + len(repository_calls)])
    if owned_calls:
        state.owned = results[len(cluster_calls) + len(repository_calls)]

    # Step 2: services (in the clusters that exist), the families the account listing left.
    service_calls = services.reads(state, [(m.cluster, m.name) for m in service_manifests], ecs)
    results = gather([*service_calls, *reader.second()])
    services.merge(state, results[: len(service_calls)])

    # Step 3: revisions not read before, tags to read.
    reader.check(services.deployments(state))
    gather(reader.third())
    reader.merge(state, refs)
    cache.remember_deployments(services.deployments(state))
    if capacity_apis is not None:  # (EC2 capacity: read after the ECS kinds, on this thread)
        if owner is not None:
            owned_capacity.read(state, capacity_apis, owner)
        capacity.read(state, manifests, capacity_apis)
    identities.resolve(state, manifests, lookups)
    return state
