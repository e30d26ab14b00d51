"""Delete what left git (--prune), gently: a service is scaled to zero and its tasks waited for before
it is deleted and waited for until INACTIVE; a cluster's container instances are set DRAINING and
waited for before it is deleted; task definition revisions are deregistered; a repository is deleted
only as its deletion policy allows. Ownership is checked again right before each delete: a resource
someone else took over since the plan is refused, not deleted."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from reconciler.apply.context import ApplyContext, wait_until
from reconciler.apply.ownership import refuse_unless_ours
from reconciler.errors import AwsError, NotFoundError
from reconciler.model.keys import Kind
from reconciler.model.plan import ResourceChange
from reconciler.model.tags import DELETION_POLICY_TAG, tags_to_map

# DeleteService answers these once the service is already being deleted (e.g. a retry of a request whose response
# was lost): the delete happened.
SERVICE_GONE = frozenset({"ServiceNotActiveException", "ServiceNotFoundException"})


def delete_service(change: ResourceChange, ctx: ApplyContext) -> str:
    cluster, name = change.key.name.split("/", 1)
    service = ctx.ecs.describe_services(cluster, [name]).get(name)
    if service is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteService", tags_to_map(service.get("tags")), ctx)
    if service.get("status") == "ACTIVE":
        if service.get("desiredCount", 0):
            ctx.ecs.update_service(cluster=cluster, service=name, desiredCount=0)

        def drained() -> bool:
            now = ctx.ecs.describe_services(cluster, [name]).get(name) or {}
            return not now or (now.get("runningCount", 0) == 0 and now.get("pendingCount", 0) == 0)

        wait_until(drained, ctx, "Drain", "tasks still running", str(change.key))
        try:
            ctx.ecs.delete_service(cluster, name)
        except AwsError as exc:
            if exc.code not in SERVICE_GONE:
                raise  # (otherwise a retry of a request whose response was lost: it is being deleted)
    wait_until(lambda: not ctx.ecs.describe_services(cluster, [name]), ctx, "Drain", "service still DRAINING",
               str(change.key))
    return "drained to 0 tasks and deleted (INACTIVE)"


def delete_cluster(change: ResourceChange, ctx: ApplyContext) -> str:
    name = change.key.name
    cluster = ctx.ecs.describe_clusters([name]).get(name)
    if cluster is None:
        return "already gone"
    refuse_unless_ours(change, "DeleteCluster", tags_to_map(cluster.get("tags")), ctx)
    instances = ctx.ecs.list_container_instances(name)
    if instances:
        ctx.ecs.drain_container_instances(name, instances)

        def idle() -> bool:
            described = ctx.ecs.describe_container_instances(name, instances)
            return all(i.get("runningTasksCount", 0) == 0 for i in described)

        wait_until(idle, ctx, "Drain", "container instances still run tasks", str(change.key))
        for arn in instances:
            ctx.ecs.deregister_container_instance(name, arn)
    remaining = ctx.ecs.describe_services(name, [a.rsplit("/", 1)[-1] for a in ctx.ecs.list_services(name)])
    if remaining:
        raise AwsError("DeleteCluster", "ClusterNotEmpty",
                       f"services remain: {', '.join(sorted(remaining))}: not deleted", str(change.key))
    with contextlib.suppress(NotFoundError):  # deleted by a request whose response was lost, and retried
        ctx.ecs.delete_cluster(name)
    drained = f" after draining {len(instances)} container instance(s)" if instances else ""
    return f"deleted{drained}"


def deregister_revision(change: ResourceChange, ctx: ApplyContext) -> str:
    """A family is ours by its latest revision's tag; each older revision is checked on its own, since
    another tool may have registered it (before an adopt, for instance)."""
    assert change.arn is not None
    found = ctx.ecs.describe_task_definition(change.arn)
    if found is None:
        return "already gone"
    refuse_unless_ours(change, "DeregisterTaskDefinition", tags_to_map(found[1]), ctx)
    try:
        ctx.ecs.deregister_task_definition(change.arn)
    except AwsError:
        again = ctx.ecs.describe_task_definition(change.arn)
        if again is None or again[0].get("status") != "INACTIVE":
            raise  # (otherwise a retry of a request whose response was lost: it was deregistered)
    return "deregistered"


def delete_repository(change: ResourceChange, ctx: ApplyContext) -> str:
    name = change.key.name
    repo = ctx.ecr.describe_repository(name)
    if repo is None:
        return "already gone"
    tags = ctx.ecr.list_tags(repo["repositoryArn"], name)
    refuse_unless_ours(change, "DeleteRepository", tags, ctx)
    policy = tags.get(DELETION_POLICY_TAG, "retain")
    if policy not in ("delete", "force"):
        raise AwsError("DeleteRepository", "Retained", f"deletion policy is {policy!r}: not deleted", str(change.key))
    with contextlib.suppress(NotFoundError):  # deleted by a request whose response was lost, and retried
        ctx.ecr.delete_repository(name, force=policy == "force")
    return "deleted" + (" with its images" if policy == "force" else "")


DELETERS: dict[Kind, Callable[[ResourceChange, ApplyContext], str]] = {
    Kind.SERVICE: delete_service,
    Kind.CLUSTER: delete_cluster,
    Kind.TASK_DEFINITION: deregister_revision,
    Kind.REPOSITORY: delete_repository,
}
