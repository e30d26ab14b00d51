"""Read-only observers of AWS: read exactly what a set of manifests needs for one plan."""

from __future__ import annotations

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
from reconciler.loader import ManifestSet
from reconciler.model.keys import Kind
from reconciler.model.live import LiveState


def read_live(manifests: ManifestSet, ecs: EcsApi, ecr: EcrApi, owner: str | None = None,
              lookups: Lookups | None = None, capacity_apis: CapacityApis | None = None) -> LiveState:
    """What AWS holds for `manifests`; with `owner`, also everything that owner owns (for pruning). With
    `lookups`, identifiers the manifests give differently than AWS reports them are resolved (KMS, Cloud Map).
    With `capacity_apis`, the EC2 capacity kinds are read too (IAM, EC2, Auto Scaling, capacity providers)."""
    state = LiveState()
    if owner is not None:
        state.owned = owned.read_owned(ecs, ecr, owner)
        if capacity_apis is not None:
            owned_capacity.read(state, capacity_apis, owner)
    if capacity_apis is not None:
        capacity.read(state, manifests, capacity_apis)
    repositories.read(state, [m.name for m in manifests.of_kind(Kind.REPOSITORY)], ecr)
    service_manifests = manifests.of_kind(Kind.SERVICE)
    users = service_manifests + manifests.of_kind(Kind.TASK)  # what refers to clusters and task definitions
    cluster_names = {m.name for m in manifests.of_kind(Kind.CLUSTER)} | {m.cluster for m in users}
    clusters.read(state, sorted(cluster_names), ecs)
    families = [m.name for m in manifests.of_kind(Kind.TASK_DEFINITION)]
    refs = [str(m.spec["taskDefinition"]) for m in users]
    task_definitions.read(state, families, [r for r in refs if r not in families], ecs)
    services.read(state, [(m.cluster, m.name) for m in service_manifests], ecs)
    identities.resolve(state, manifests, lookups)
    return state
