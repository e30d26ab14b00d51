"""Read ECS services, ten names per DescribeServices call as AWS allows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reconciler.aws.ecs import EcsApi
from reconciler.model import shapes
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map

# CreateService inputs that DescribeServices reports only on the deployments (derived from the API model):
# the service's value is the PRIMARY deployment's.
_SERVICE_OUTPUT = shapes.structure_members("ecs", "Service")
_DEPLOYMENT_OUTPUT = shapes.structure_members("ecs", "Deployment")
DEPLOYMENT_FIELDS = (shapes.member_names("ecs", "CreateService") - _SERVICE_OUTPUT) & _DEPLOYMENT_OUTPUT


def service_spec(service: dict[str, Any]) -> dict[str, Any]:
    """DescribeServices output mapped onto CreateService input names."""
    spec = dict(service)
    if "roleArn" in spec:
        spec["role"] = spec["roleArn"]  # the input says `role`, the output `roleArn`
    primary: dict[str, Any] = next(
        (d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})
    for name in DEPLOYMENT_FIELDS:
        if name not in spec and name in primary:
            spec[name] = primary[name]
    return spec


def read(state: LiveState, wanted: list[tuple[str, str]], ecs: EcsApi) -> None:
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for cluster, name in wanted:
        by_cluster[cluster].append(name)
    for cluster, names in sorted(by_cluster.items()):
        if cluster not in state.clusters:
            continue  # the cluster does not exist (yet): neither do its services
        for name, service in ecs.describe_services(cluster, sorted(set(names))).items():
            spec = service_spec(service)
            state.services[f"{cluster}/{name}"] = LiveResource(
                Kind.SERVICE, name, service["serviceArn"], spec, tags_to_map(service.get("tags")),
                service.get("status", "ACTIVE"))
