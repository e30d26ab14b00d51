"""Read ECS clusters (settings, configuration, capacity providers, tags)."""

from __future__ import annotations

from reconciler.aws.ecs import EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def read(state: LiveState, names: list[str], ecs: EcsApi) -> None:
    if not names:
        return
    for name, cluster in ecs.describe_clusters(names).items():
        tags = tags_to_map(cluster.get("tags"))
        state.clusters[name] = LiveResource(Kind.CLUSTER, name, cluster["clusterArn"], dict(cluster), tags,
                                            cluster.get("status", "ACTIVE"))
