"""build_plan(manifests, live) -> Plan. Pure: decides create / update / replace / noop per resource.

Services, clusters and repositories are compared on the fields the manifest sets (what it leaves out
belongs to someone else: autoscaling owns an omitted desiredCount). A task definition is a whole
document: anything live beyond what AWS fills in itself is drift, since the next revision drops it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from reconciler.loader import ManifestSet
from reconciler.model import shapes
from reconciler.model.keys import CAPACITY_KINDS, Kind, ResourceKey
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.manifest import ADOPT_ANNOTATION, Manifest
from reconciler.model.plan import Action, FieldChange, KnownAfterApply, Plan, ResourceChange
from reconciler.model.tags import (
    FAILED_SPEC_TAG,
    FAILED_TASK_DEFINITION_TAG,
    META_TAGS,
    OWNER_TAG,
    TAG_KEYS_TAG,
    spec_tags,
    user_tags,
)
from reconciler.planning import capacity, graph, identifiers, loopguard, prune, references, tasks
from reconciler.planning.diff import diff
from reconciler.planning.normalize import canonical, left_scoped


def _replace_fields(service: str, create: str, update: Iterable[str], ignore: set[str]) -> frozenset[str]:
    updatable: set[str] = set()
    for operation in update:
        updatable |= shapes.member_names(service, operation)
    return frozenset(shapes.member_names(service, create) - updatable - ignore)


# Fields that AWS cannot change in place, derived from the API: in the create input, in no update input.
SERVICE_REPLACE_FIELDS = _replace_fields(
    "ecs", "CreateService", ["UpdateService"], {"serviceName", "cluster", "clientToken", "tags"})
REPOSITORY_REPLACE_FIELDS = _replace_fields(
    "ecr", "CreateRepository", ["PutImageTagMutability", "PutImageScanningConfiguration"],
    {"repositoryName", "registryId", "tags"})
CLUSTER_REPLACE_FIELDS = _replace_fields(
    "ecs", "CreateCluster", ["UpdateCluster", "PutClusterCapacityProviders"], {"clusterName", "tags"})
# CreateService inputs that AWS reports nowhere (neither on the service nor on its deployments): they are
# sent when the service is created, but cannot be compared with anything, so they are never a change.
UNOBSERVABLE_SERVICE_FIELDS = (
    shapes.member_names("ecs", "CreateService")
    - shapes.structure_members("ecs", "Service")
    - shapes.structure_members("ecs", "Deployment")
    - {"role", "cluster", "serviceName", "clientToken"}
)

REPLACE_FIELDS = {
    Kind.SERVICE: SERVICE_REPLACE_FIELDS,
    Kind.REPOSITORY: REPOSITORY_REPLACE_FIELDS,
    Kind.CLUSTER: CLUSTER_REPLACE_FIELDS,
    Kind.TASK_DEFINITION: frozenset(),
}


def build_plan(
    manifests: ManifestSet,
    live: LiveState,
    *,
    owner: str = "reconciler",
    adopt: frozenset[str] = frozenset(),
    retry_failed: bool = False,
    keep_revisions: int = prune.DEFAULT_KEEP_REVISIONS,
) -> Plan:
    """The plan for `manifests` against `live`. `retry_failed` retries rollouts that failed before.
    When `live.owned` was read (--prune), what we own and git no longer declares is deleted last."""
    by_key = manifests.by_key()
    changes: dict[ResourceKey, ResourceChange] = {}
    errors: list[str] = []
    deps_of = graph.edges(list(manifests.manifests))
    try:
        order = graph.topological(deps_of)
    except graph.CycleError as exc:
        return Plan((), (str(exc),), owner=owner)
    for key in order:
        m = by_key[key]
        deps = tuple(sorted(deps_of[key]))
        if m.kind is Kind.TASK:
            change = tasks.plan_task(m, live, changes, errors, retry_failed)
        elif m.kind is Kind.SERVICE:
            change = _plan_service(m, live, changes, errors)
            if not retry_failed:
                change = _hold_failed(change, m, live.resource(m.key))
        elif m.kind in CAPACITY_KINDS:
            change = capacity.plan(m, live, changes, errors)
        elif m.kind is Kind.CLUSTER and (problems := capacity.missing_references(m, live, changes)):
            errors.extend(f"{m.source}: {m.key}: {p}" for p in problems)
            change = ResourceChange(m.key, Action.CREATE if live.resource(m.key) is None else Action.UPDATE,
                                    desired=canonical(m.kind, m.spec), blocked="; ".join(problems))
        else:
            change = _plan_simple(m, live.resource(m.key), live.aliases)
        change = _with_ownership(change, m, live.resource(m.key), owner, adopt, errors)
        change = _with_meta_tags(change, m, live.resource(m.key), owner)
        changes[key] = ResourceChange(**{**change.__dict__, "depends_on": deps, "source": m.source})
    deletes, warnings = prune.plan_prune(manifests, live, keep_revisions)
    return Plan((*changes.values(), *deletes), tuple(errors), (*live.warnings, *warnings), owner=owner)


def _compare(m: Manifest, desired: dict[str, Any], current: LiveResource | None) -> ResourceChange:
    if current is None:
        return ResourceChange(m.key, Action.CREATE, desired=desired, reason="does not exist")
    live_form = canonical(m.kind, current.spec)
    if m.kind is not Kind.TASK_DEFINITION:
        live_form = left_scoped(live_form, desired)
    fields = diff(live_form, desired)
    if not fields:
        return ResourceChange(m.key, Action.NOOP, desired=desired, live=live_form, arn=current.arn)
    forcing = tuple(sorted({f.path.split(".")[0].split("[")[0] for f in fields} & REPLACE_FIELDS[m.kind]))
    if forcing:
        return ResourceChange(m.key, Action.REPLACE, fields, desired, live_form, current.arn,
                              reason=f"{', '.join(forcing)} cannot be changed in place",
                              replace_fields=forcing)
    reason = "registers a new revision" if m.kind is Kind.TASK_DEFINITION else ""
    if m.kind is Kind.TASK_DEFINITION and references.tags_only(fields):
        reason = "retags the latest revision"
    return ResourceChange(m.key, Action.UPDATE, fields, desired, live_form, current.arn, reason=reason)


def _as_given(current: LiveResource, desired: dict[str, Any], aliases: dict[str, frozenset[str]]) -> LiveResource:
    """The live resource with identifiers that name what the manifest names written as the manifest writes them
    (a role's ARN as its name, a key's ARN as its alias...): see reconciler.planning.identifiers."""
    spec = identifiers.as_given(current.kind, current.spec, desired, aliases)
    return dataclasses.replace(current, spec=spec)


def _plan_simple(m: Manifest, current: LiveResource | None, aliases: dict[str, frozenset[str]]) -> ResourceChange:
    desired = canonical(m.kind, m.spec)
    change = _compare(m, desired, None if current is None else _as_given(current, m.spec, aliases))
    if m.kind is Kind.TASK_DEFINITION:
        change = loopguard.guard(change, current)
    return change


def _plan_service(m: Manifest, live: LiveState, planned: dict[ResourceKey, ResourceChange],
                  errors: list[str]) -> ResourceChange:
    spec, problems = references.resolve(m, live, planned)
    problems += capacity.missing_references(m, live, planned)
    current = live.resource(m.key)
    if problems:
        errors.extend(f"{m.source}: {m.key}: {p}" for p in problems)
        return ResourceChange(m.key, Action.CREATE if current is None else Action.UPDATE,
                              desired=canonical(m.kind, spec), blocked="; ".join(problems))
    if current is not None:
        current = _as_given(current, spec, live.aliases)
        if current.status == "DRAINING":
            message = (f"{m.source}: {m.key}: the service is being deleted (DRAINING); AWS accepts a new "
                       "service of that name once it is INACTIVE: apply again in a few minutes")
            errors.append(message)
            return ResourceChange(m.key, Action.CREATE, desired=canonical(m.kind, spec),
                                  blocked="service is DRAINING")
    desired = {k: v for k, v in canonical(m.kind, spec).items() if k not in UNOBSERVABLE_SERVICE_FIELDS}
    return _compare(m, desired, current)


def _with_meta_tags(change: ResourceChange, m: Manifest, current: LiveResource | None,
                    owner: str) -> ResourceChange:
    """Bookkeeping tags that follow from the manifest (deletion policy, the tag keys it declares) are kept up
    to date, and user tags the manifest no longer declares are removed: only on what we own (or adopt)."""
    if current is None or change.blocked or change.action is Action.REPLACE:
        return change
    claiming = any(f.path == f"tags[{OWNER_TAG}]" for f in change.fields)
    if current.tags.get(OWNER_TAG) != owner and not claiming:
        return change
    wanted = m.meta_tags()
    stale = [k for k in META_TAGS if k in current.tags and k not in wanted]
    fields = [FieldChange(f"tags[{k}]", current.tags.get(k), v) for k, v in wanted.items() if current.tags.get(k) != v]
    fields += [FieldChange(f"tags[{k}]", current.tags[k], None) for k in stale]
    if m.kind is not Kind.TASK_DEFINITION:  # (task definitions are whole documents: their diff has these)
        declared = set(user_tags(spec_tags(m.kind, m.spec)))
        managed = set(current.tags.get(TAG_KEYS_TAG, "").split())
        fields += [FieldChange(f"tags[{k}]", current.tags[k], None)
                   for k in sorted(managed - declared) if k in current.tags]
    if not fields:
        return change
    action = Action.UPDATE if change.action is Action.NOOP else change.action
    return ResourceChange(**{**change.__dict__, "action": action, "fields": (*change.fields, *fields)})


def _hold_failed(change: ResourceChange, m: Manifest, current: LiveResource | None) -> ResourceChange:
    """Do not retry, in a loop, a revision whose rollout failed: wait for the manifest to change."""
    if current is None or not change.is_change or change.desired is None:
        return change
    failed = current.tags.get(FAILED_TASK_DEFINITION_TAG)
    wanted = change.desired.get("taskDefinition")
    if not failed or isinstance(wanted, KnownAfterApply) or wanted != failed:
        return change
    if current.tags.get(FAILED_SPEC_TAG) != m.digest:
        return change
    held = (f"the rollout of {failed.rsplit('/', 1)[-1]} failed before; change the manifest, or pass "
            "--retry-failed, to try again")
    return ResourceChange(**{**change.__dict__, "held": held})


def _with_ownership(change: ResourceChange, m: Manifest, current: LiveResource | None, owner: str,
                    adopt: frozenset[str], errors: list[str]) -> ResourceChange:
    """Refuse to change what we do not own; claim it when the user names it (adopt)."""
    if current is None or change.blocked:
        return change
    holder = current.tags.get(OWNER_TAG)
    if holder == owner:
        return change
    adopted = m.annotation_true(ADOPT_ANNOTATION) or str(m.key) in adopt or m.name in adopt
    if adopted:
        claim = FieldChange(f"tags[{OWNER_TAG}]", holder, owner)
        action = Action.UPDATE if change.action is Action.NOOP else change.action
        reason = change.reason or f"adopts the existing {m.kind.value}"
        return ResourceChange(**{**change.__dict__, "action": action, "fields": (*change.fields, claim),
                                 "reason": reason})
    if change.action is Action.NOOP:
        return change  # in sync and left untouched: nothing to refuse
    who = "no owner tag" if holder is None else f"owned by {holder!r}"
    message = (f"{m.source}: {m.key} exists in AWS but is not managed by this reconciler ({who}); "
               f"add the annotation {ADOPT_ANNOTATION}: \"true\" or pass --adopt {m.key} to take it over")
    errors.append(message)
    return ResourceChange(**{**change.__dict__, "blocked": f"not owned ({who})"})
