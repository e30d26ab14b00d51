"""Read ECS services, ten names per DescribeServices call as AWS allows, the calls at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from reconciler.aws.ecs import DESCRIBE_SERVICES_BATCH, EcsApi
from reconciler.model import shapes
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map

# CreateService inputs that DescribeServices reports only on the deployments (derived from the API model):
# the service's value is the PRIMARY deployment's.
_SERVICE_OUTPUT = shapes.structure_members("ecs", "Service")
_DEPLOYMENT_OUTPUT = shapes.structure_members("ecs", "Deployment")
DEPLOYMENT_FIELDS = (shapes.member_names("ecs", "CreateService") - _SERVICE_OUTPUT) & _DEPLOYMENT_OUTPUT

Found = tuple[str, dict[str, dict[str, Any]]]  # (cluster, services by name)


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


def reads(state: LiveState, wanted: list[tuple[str, str]], ecs: EcsApi) -> list[Callable[[], Found]]:
    """One call per cluster and ten services (clusters that do not exist have no services to read)."""
    by_cluster: dict[str, set[str]] = defaultdict(set)
    for cluster, name in wanted:
        by_cluster[cluster].add(name)
    calls: list[Callable[[], Found]] = []
    for cluster, names in sorted(by_cluster.items()):
        if cluster not in state.clusters:
            continue  # the cluster does not exist (yet): neither do its services
        ordered = sorted(names)
        for i in range(0, len(ordered), DESCRIBE_SERVICES_BATCH):
            calls.append(partial(_describe, ecs, cluster, ordered[i : i + DESCRIBE_SERVICES_BATCH]))
    return calls


def _describe(ecs: EcsApi, cluster: str, names: list[str]) -> Found:
    return cluster, ecs.describe_services(cluster, names)


def merge(state: LiveState, found: list[Found]) -> None:
    for cluster, services in found:
        for name, service in services.items():
            state.services[f"{cluster}/{name}"] = LiveResource(
                Kind.SERVICE, name, service["serviceArn"], service_spec(service), tags_to_map(service.get("tags")),
                service.get("status", "ACTIVE"))


def deployments(state: LiveState) -> list[tuple[str, str]]:
    """(id, createdAt) of the services' deployments, in a fixed order: what recognises the same account later
    (reconciler.live.cache)."""
    return [(str(d["id"]), str(d.get("createdAt"))) for _, r in sorted(state.services.items())
            for d in r.spec.get("deployments") or [] if d.get("id")]


def read(state: LiveState, wanted: list[tuple[str, str]], ecs: EcsApi) -> None:
    merge(state, [call() for call in reads(state, wanted, ecs)])
