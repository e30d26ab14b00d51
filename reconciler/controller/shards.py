"""Which shard a manifest belongs to when several watchers share the work (--shard-by cluster): a
cluster, and everything running on it, is one shard; task definitions go with the cluster of the first
service or task that uses them; repositories and unused task definitions are the "_global" shard."""

from __future__ import annotations

from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.manifest import Manifest

GLOBAL = "_global"


def shard_of(m: Manifest, manifests: tuple[Manifest, ...]) -> str:
    if m.kind is Kind.CLUSTER:
        return m.name
    if m.kind in (Kind.SERVICE, Kind.TASK):
        return m.cluster
    if m.kind is Kind.TASK_DEFINITION:
        users = sorted(u.cluster for u in manifests if u.kind in (Kind.SERVICE, Kind.TASK)
                       and str(u.spec.get("taskDefinition", "")).split(":")[0] == m.name)
        return users[0] if users else GLOBAL
    return GLOBAL


def shard_of_key(key: ResourceKey, manifests: tuple[Manifest, ...]) -> str:
    """The shard of a key, also for pruned resources that have no manifest any more."""
    for m in manifests:
        if m.key == key:
            return shard_of(m, manifests)
    if key.kind in (Kind.SERVICE, Kind.CLUSTER):
        return key.name.split("/", 1)[0]
    return GLOBAL


def all_shards(manifests: tuple[Manifest, ...]) -> set[str]:
    return {shard_of(m, manifests) for m in manifests} | {GLOBAL}
