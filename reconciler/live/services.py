"""Read ECS services, ten names per DescribeServices call as AWS allows."""

from __future__ import annotations

from collections import defaultdict

from reconciler.aws.ecs import EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def read(state: LiveState, wanted: list[tuple[str, str]], ecs: EcsApi) -> None:
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for cluster, name in wanted:
        by_cluster[cluster].append(name)
    for cluster, names in sorted(by_cluster.items()):
        if cluster not in state.clusters:
            continue  # the cluster does not exist (yet): neither do its services
        for name, service in ecs.describe_services(cluster, sorted(set(names))).items():
            spec = dict(service)
            if "roleArn" in spec:
                spec["role"] = spec["roleArn"]  # the input says `role`, the output `roleArn`
            state.services[f"{cluster}/{name}"] = LiveResource(
                Kind.SERVICE, name, service["serviceArn"], spec, tags_to_map(service.get("tags")),
                service.get("status", "ACTIVE"))
