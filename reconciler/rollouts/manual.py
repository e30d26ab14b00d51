"""`reconciler rollback`: point a service at an earlier revision by hand."""

from __future__ import annotations

from reconciler.aws.ecs import EcsApi
from reconciler.errors import ReconcilerError
from reconciler.model.keys import Kind, ResourceKey
from reconciler.rollouts.wait import RolloutTarget


def rollback_service(ecs: EcsApi, cluster: str, name: str, to: str | None,
                     timeout: float) -> tuple[RolloutTarget, str]:
    """Update the service to the chosen earlier revision; returns what to wait for and where it came from."""
    service = ecs.describe_services(cluster, [name]).get(name)
    if service is None:
        raise ReconcilerError(f"service {name!r} not found in cluster {cluster!r}")
    current = str(service["taskDefinition"])
    family, _, revision = current.rsplit("/", 1)[-1].rpartition(":")
    if to:
        ref = to if ":" in to else f"{family}:{to}"
        found = ecs.describe_task_definition(ref)
        if found is None or found[0].get("status") != "ACTIVE":
            raise ReconcilerError(f"task definition {ref} does not exist or is not ACTIVE")
        target = str(found[0]["taskDefinitionArn"])
    else:
        older = [arn for arn in ecs.list_task_definitions(family)
                 if int(arn.rsplit(":", 1)[-1]) < int(revision)]
        if not older:
            raise ReconcilerError(f"no ACTIVE revision of {family} older than {revision} to roll back to")
        target = older[0]
    if target == current:
        raise ReconcilerError(f"the service already runs {current.rsplit('/', 1)[-1]}")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=target)
    key = ResourceKey(Kind.SERVICE, f"{cluster}/{name}")
    return RolloutTarget(key, cluster, name, target, rollback=False, timeout=timeout), current
