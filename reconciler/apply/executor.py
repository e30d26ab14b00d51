"""apply_plan(plan) -> ApplyResult: walk the plan in order, stop the dependents of a failure, keep
what succeeded (a re-run continues from there), and say what was and was not done."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.apply import (
    auto_scaling_groups,
    capacity_deletes,
    capacity_providers,
    clusters,
    drain,
    instance_profiles,
    launch_templates,
    repositories,
    roles,
    services,
    task_definitions,
    tasks,
)
from reconciler.apply.context import ApplyContext
from reconciler.errors import AwsError
from reconciler.loader import ManifestSet
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, ApplyResult, Outcome, Plan, ResourceChange

Applier = Callable[[ResourceChange, Manifest, ApplyContext], str]
APPLIERS: dict[Kind, Applier] = {
    Kind.REPOSITORY: repositories.apply,
    Kind.CLUSTER: clusters.apply,
    Kind.TASK_DEFINITION: task_definitions.apply,
    Kind.SERVICE: services.apply,
    Kind.TASK: tasks.apply,
    Kind.ROLE: roles.apply,
    Kind.INSTANCE_PROFILE: instance_profiles.apply,
    Kind.LAUNCH_TEMPLATE: launch_templates.apply,
    Kind.AUTO_SCALING_GROUP: auto_scaling_groups.apply,
    Kind.CAPACITY_PROVIDER: capacity_providers.apply,
}
DELETERS = {**drain.DELETERS, **capacity_deletes.DELETERS}


def refusal(plan: Plan, allow_replace: bool) -> list[str]:
    """Reasons not to apply any of the plan. Checked before the first mutating call."""
    reasons = list(plan.errors)
    for change in plan.changes:
        if change.action is Action.REPLACE and not allow_replace:
            reasons.append(f"{change.key} must be replaced ({change.reason}); this deletes and re-creates "
                           "it: pass --allow-replace to permit it")
    return reasons


def apply_plan(plan: Plan, manifests: ManifestSet, ctx: ApplyContext,
               report: Callable[[Outcome], None] | None = None) -> ApplyResult:
    by_key = manifests.by_key()
    ctx.manifests = manifests.manifests
    not_done: dict[ResourceKey, str] = {}
    outcomes: list[Outcome] = []
    for change in plan.changes:
        if change.action is Action.NOOP:
            outcome = Outcome(change.key, change.action, "unchanged")
        elif change.held:
            outcome = Outcome(change.key, change.action, "held", change.held)
        elif ctx.should_stop():
            outcome = Outcome(change.key, change.action, "skipped", "not attempted: stopping")
        elif blocking := [d for d in change.depends_on if d in not_done]:
            outcome = Outcome(change.key, change.action, "skipped",
                              f"not attempted: {blocking[0]} {not_done[blocking[0]]}")
        elif change.action is Action.DELETE:
            outcome = _delete_one(change, ctx)
        else:
            outcome = _apply_one(change, by_key[change.key], ctx)
        if outcome.status in ("failed", "skipped", "held"):
            not_done[change.key] = "failed" if outcome.status == "failed" else "was not applied"
        outcomes.append(outcome)
        if report is not None:
            report(outcome)
    return ApplyResult(tuple(outcomes))


def _delete_one(change: ResourceChange, ctx: ApplyContext) -> Outcome:
    try:
        message = DELETERS[change.key.kind](change, ctx)
    except AwsError as exc:
        return Outcome(change.key, change.action, "failed", f"{exc.operation}: {exc.code}: {exc.aws_message}")
    return Outcome(change.key, change.action, "applied", message)


def _apply_one(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> Outcome:
    try:
        message = APPLIERS[change.key.kind](change, m, ctx)
    except AwsError as exc:
        return Outcome(change.key, change.action, "failed", f"{exc.operation}: {exc.code}: {exc.aws_message}")
    return Outcome(change.key, change.action, "applied", message)
