"""Create, update and replace ECS services. Services always point at a full task definition ARN."""

from __future__ import annotations

import time
from typing import Any

from reconciler.apply.context import ApplyContext, changed_fields, client_token, deep_merge, removed_tags
from reconciler.errors import AwsError
from reconciler.model import shapes
from reconciler.model.manifest import ROLLBACK_ANNOTATION, Manifest
from reconciler.model.plan import Action, KnownAfterApply, ResourceChange
from reconciler.rollouts.wait import RolloutTarget

UPDATABLE = shapes.member_names("ecs", "UpdateService") - {"cluster", "service", "forceNewDeployment"}


def _task_definition(m: Manifest, change: ResourceChange, ctx: ApplyContext) -> str:
    assert change.desired is not None
    wanted = change.desired["taskDefinition"]
    if isinstance(wanted, KnownAfterApply):
        family = str(m.spec["taskDefinition"])
        if family not in ctx.registered:
            raise AwsError("CreateService", "DependencyNotApplied",
                           f"task definition {family!r} was not registered", str(m.key))
        return ctx.registered[family]
    return str(wanted)


def _known_good(live: dict[str, Any] | None) -> str | None:
    """The revision a service ran, stably, before this apply: the one to roll back to."""
    if not live:
        return None
    deployments = live.get("deployments") or []
    if len(deployments) != 1 or deployments[0].get("rolloutState", "COMPLETED") != "COMPLETED":
        return None
    return str(deployments[0].get("taskDefinition") or live.get("taskDefinition") or "") or None


def _watch(m: Manifest, ctx: ApplyContext, task_definition: str, previous: str | None) -> None:
    ctx.rollouts.append(RolloutTarget(
        key=m.key, cluster=m.cluster, service=m.name, desired_task_definition=task_definition,
        previous_task_definition=previous, rollback=not m.annotation_false(ROLLBACK_ANNOTATION),
        timeout=m.rollout_timeout(ctx.rollout_timeout), spec_digest=m.digest))


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    task_definition = _task_definition(m, change, ctx)
    if change.action is Action.CREATE:
        message = _create(m, ctx, task_definition)
        _watch(m, ctx, task_definition, None)
        return message
    if change.action is Action.REPLACE:
        _delete_and_wait(m, ctx)
        message = "deleted and " + _create(m, ctx, task_definition)
        _watch(m, ctx, task_definition, None)
        return message
    assert change.arn is not None
    fields = changed_fields(change)
    live = ctx.live.services[f"{m.cluster}/{m.name}"].spec
    update: dict[str, Any] = {}
    for name in sorted((fields & UPDATABLE) - {"taskDefinition"}):
        if name in m.spec:
            update[name] = deep_merge(live.get(name), m.spec[name])
    if "taskDefinition" in fields:
        update["taskDefinition"] = task_definition
    done: list[str] = []
    if update:
        ctx.ecs.update_service(cluster=m.cluster, service=m.name, **update)
        done.extend(update)
        _watch(m, ctx, task_definition, _known_good(live))
    if "tags" in fields:
        ctx.ecs.tag_resource(change.arn, ctx.tags_for(m), str(m.key))
        ctx.ecs.untag_resource(change.arn, removed_tags(change), str(m.key))
        done.append("tags")
    return "updated " + ", ".join(done)


def _create(m: Manifest, ctx: ApplyContext, task_definition: str) -> str:
    body = {k: v for k, v in m.spec.items() if k not in ("tags", "cluster", "taskDefinition")}
    tags = [{"key": k, "value": v} for k, v in sorted(ctx.tags_for(m).items())]
    token = client_token(m.cluster, m.name, task_definition, body)
    ctx.ecs.create_service(cluster=m.cluster, serviceName=m.name, taskDefinition=task_definition,
                           tags=tags, clientToken=token, **body)
    return f"created on {task_definition.rsplit('/', 1)[-1]}"


def _delete_and_wait(m: Manifest, ctx: ApplyContext) -> None:
    """AWS refuses a new service with the name of one that is still DRAINING: wait for INACTIVE."""
    try:
        ctx.ecs.delete_service(m.cluster, m.name, force=True)
    except AwsError as exc:
        if exc.code not in ("ServiceNotActiveException", "ServiceNotFoundException"):
            raise  # (otherwise a retry of a request whose response was lost: it is being deleted)
    deadline = time.monotonic() + ctx.replace_wait_seconds
    while ctx.ecs.describe_services(m.cluster, [m.name]):
        if time.monotonic() > deadline:
            raise AwsError("DeleteService", "Timeout",
                           f"service still DRAINING after {ctx.replace_wait_seconds:.0f}s", str(m.key))
        time.sleep(ctx.poll_seconds)
