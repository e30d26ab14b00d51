"""`reconciler rollback`: point a service at an earlier revision by hand."""

from __future__ import annotations

from typing import Any

from reconciler.aws.ecs import EcsApi
from reconciler.errors import ReconcilerError
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.tags import FAILED_TASK_DEFINITION_TAG, GOOD_REVISIONS_TAG, tags_to_map
from reconciler.rollouts.wait import RolloutTarget


def _last_good(ecs: EcsApi, service: dict[str, Any], current: str, family: str, revision: int) -> str:
    """The newest revision whose rollout completed on this service (recorded by apply), else the newest
    older ACTIVE revision that is not marked as failed."""
    tags = tags_to_map(service.get("tags"))
    active = ecs.list_task_definitions(family)
    by_short = {arn.rsplit("/", 1)[-1]: arn for arn in active}
    for short in tags.get(GOOD_REVISIONS_TAG, "").split():
        if short in by_short and by_short[short] != current:
            return by_short[short]
    failed = tags.get(FAILED_TASK_DEFINITION_TAG)
    older = [arn for arn in active if int(arn.rsplit(":", 1)[-1]) < revision and arn != failed]
    if not older:
        raise ReconcilerError(f"no ACTIVE revision of {family} older than {revision} known to be good")
    return older[0]


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
        target = _last_good(ecs, service, current, family, int(revision))
    if target == current:
        raise ReconcilerError(f"the service already runs {current.rsplit('/', 1)[-1]}")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=target)
    key = ResourceKey(Kind.SERVICE, f"{cluster}/{name}")
    return RolloutTarget(key, cluster, name, target, rollback=False, timeout=timeout), current
