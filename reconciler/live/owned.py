"""Find everything that carries our owner tag, to prune what left git. Also which task definition
revisions any service still runs (those are never deregistered) and which services in a cluster are
not ours (a cluster holding them is not deleted)."""

from __future__ import annotations

from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, OwnedState
from reconciler.model.tags import OWNER_TAG, tags_to_map


def read_owned(ecs: EcsApi, ecr: EcrApi, owner: str) -> OwnedState:
    owned = OwnedState()
    cluster_names = [arn.rsplit("/", 1)[-1] for arn in ecs.list_clusters()]
    for name, cluster in ecs.describe_clusters(cluster_names).items():
        tags = tags_to_map(cluster.get("tags"))
        if tags.get(OWNER_TAG) == owner:
            owned.clusters[name] = LiveResource(Kind.CLUSTER, name, cluster["clusterArn"], dict(cluster), tags,
                                                cluster.get("status", "ACTIVE"))
        names = [arn.rsplit("/", 1)[-1] for arn in ecs.list_services(name)]
        for service_name, service in ecs.describe_services(name, names).items():
            used = owned.in_use.setdefault(f"{name}/{service_name}", set())
            used.add(str(service.get("taskDefinition")))
            used.update(str(d.get("taskDefinition")) for d in service.get("deployments") or [])
            service_tags = tags_to_map(service.get("tags"))
            if service_tags.get(OWNER_TAG) == owner:
                owned.services[f"{name}/{service_name}"] = LiveResource(
                    Kind.SERVICE, service_name, service["serviceArn"], dict(service), service_tags,
                    service.get("status", "ACTIVE"))
            elif service.get("status") == "ACTIVE":
                owned.other_services.setdefault(name, []).append(service_name)
    for family in ecs.list_task_definition_families():
        revisions = ecs.list_task_definitions(family)
        if not revisions:
            continue
        found = ecs.describe_task_definition(revisions[0])
        if found is not None and tags_to_map(found[1]).get(OWNER_TAG) == owner:
            owned.families[family] = revisions
            in_use = {arn for arns in owned.in_use.values() for arn in arns}
            for arn in revisions[1:]:  # the latest decides the family; older ones may be someone else's
                if arn in in_use:
                    continue
                old = ecs.describe_task_definition(arn)
                if old is not None and tags_to_map(old[1]).get(OWNER_TAG) != owner:
                    owned.foreign_revisions.add(arn)
    for repo in ecr.describe_repositories():
        name = repo["repositoryName"]
        tags = ecr.list_tags(repo["repositoryArn"], name)
        if tags.get(OWNER_TAG) == owner:
            owned.repositories[name] = LiveResource(Kind.REPOSITORY, name, repo["repositoryArn"], dict(repo), tags)
    return owned
