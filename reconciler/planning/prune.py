"""Plan what --prune removes: resources carrying our owner tag whose manifest left git, and task
definition revisions nobody runs beyond the last N of each family. Pure.

Services are drained then deleted; clusters only when no service of someone else's remains; task
definition revisions any service runs are never deregistered; repositories only when their manifest
opted in (deletion policy). Deletes run after everything else, services first, repositories last, then the EC2 capacity
(reconciler.planning.prune_capacity).
"""

from __future__ import annotations

from reconciler.loader import ManifestSet
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import DELETION_POLICY_TAG
from reconciler.planning import prune_capacity

DEFAULT_KEEP_REVISIONS = 5


def plan_prune(manifests: ManifestSet, live: LiveState,
               keep_revisions: int = DEFAULT_KEEP_REVISIONS) -> tuple[list[ResourceChange], list[str]]:
    owned = live.owned
    if owned is None:
        return [], []
    wanted = {m.key for m in manifests.manifests}
    used_clusters = {m.cluster for m in manifests.manifests if m.kind in (Kind.SERVICE, Kind.TASK)}
    changes: list[ResourceChange] = []
    warnings: list[str] = []
    service_deletes: dict[str, list[ResourceKey]] = {}
    for name, service in sorted(owned.services.items()):
        key = ResourceKey(Kind.SERVICE, name)
        if key in wanted:
            continue
        changes.append(ResourceChange(key, Action.DELETE, arn=service.arn,
                                      reason="not in git: drain to 0 tasks, then delete"))
        service_deletes.setdefault(name.split("/", 1)[0], []).append(key)
    deleted = {k.name for keys in service_deletes.values() for k in keys}
    in_use = {arn for service, arns in owned.in_use.items() if service not in deleted for arn in arns}
    all_service_deletes = tuple(k for keys in service_deletes.values() for k in keys)
    families_in_git = {m.name for m in manifests.of_kind(Kind.TASK_DEFINITION)}
    for family, revisions in sorted(owned.families.items()):
        keep = set(revisions[:keep_revisions]) if family in families_in_git else set()
        why = (f"older than the last {keep_revisions} revisions and not in use" if family in families_in_git
               else "family not in git, revision not in use")
        foreign = [arn for arn in revisions if arn in owned.foreign_revisions and arn not in keep]
        if foreign:
            warnings.append(f"TaskDefinition/{family}: {len(foreign)} old revision(s) registered by someone else "
                            "are kept")
        for arn in reversed(revisions):  # oldest first
            if arn in keep or arn in in_use or arn in owned.foreign_revisions:
                continue
            changes.append(ResourceChange(ResourceKey(Kind.TASK_DEFINITION, arn.rsplit("/", 1)[-1]), Action.DELETE,
                                          arn=arn, reason=f"deregisters: {why}", depends_on=all_service_deletes))
    for name, cluster in sorted(owned.clusters.items()):
        key = ResourceKey(Kind.CLUSTER, name)
        if key in wanted or name in used_clusters:
            continue
        others = owned.other_services.get(name, [])
        if others:
            warnings.append(f"Cluster/{name} left git but is kept: it runs services not managed by this owner "
                            f"({', '.join(sorted(others))})")
            continue
        changes.append(ResourceChange(key, Action.DELETE, arn=cluster.arn,
                                      depends_on=tuple(service_deletes.get(name, [])),
                                      reason="not in git: drain its container instances, then delete"))
    for name, repo in sorted(owned.repositories.items()):
        key = ResourceKey(Kind.REPOSITORY, name)
        if key in wanted:
            continue
        policy = repo.tags.get(DELETION_POLICY_TAG, "retain")
        if policy == "retain":
            warnings.append(f"Repository/{name} left git and is kept (deletion policy retain; annotate "
                            "reconciler.io/deletion-policy: delete, or force, before removing the manifest)")
            continue
        reason = "not in git: delete" + (" with its images" if policy == "force" else " (refused while it holds "
                                          "images)")
        changes.append(ResourceChange(key, Action.DELETE, arn=repo.arn, reason=reason))
    capacity, capacity_warnings = prune_capacity.plan_prune(manifests, live, changes)
    return [*changes, *capacity], [*warnings, *capacity_warnings]
