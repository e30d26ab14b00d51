"""Read ECS clusters (settings, configuration, capacity providers, tags), a hundred per DescribeClusters call."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from reconciler.aws.ecs import DESCRIBE_CLUSTERS_BATCH, EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def reads(names: list[str], ecs: EcsApi) -> list[Callable[[], dict[str, dict[str, Any]]]]:
    return [partial(ecs.describe_clusters, names[i : i + DESCRIBE_CLUSTERS_BATCH])
            for i in range(0, len(names), DESCRIBE_CLUSTERS_BATCH)]


def merge(state: LiveState, found: list[dict[str, dict[str, Any]]]) -> None:
    for batch in found:
        for name, cluster in batch.items():
            tags = tags_to_map(cluster.get("tags"))
            state.clusters[name] = LiveResource(Kind.CLUSTER, name, cluster["clusterArn"], dict(cluster), tags,
                                                cluster.get("status", "ACTIVE"))


def read(state: LiveState, names: list[str], ecs: EcsApi) -> None:
    merge(state, [call() for call in reads(names, ecs)])
