"""apply_plan(plan) -> ApplyResult: apply the plan's changes, each once the changes it depends on are done,
independent ones at once (on up to `workers` threads); stop the dependents of a failure, keep what succeeded (a
re-run continues from there), and say what was and was not done, in the plan's order.

Deletes (pruning) come last, one after another in the plan's order, once every other change is done: a service
moved to another cluster is created before the old one is deleted, and a cluster is deleted after its services.
Every mutating call is still fenced by the writers' lock, in whichever thread makes it (reconciler.locking);
an error that is not an AWS answer (a lost lock) lets the changes in flight end, starts no other, and is raised.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

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
from reconciler.live.parallel import current_workers
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
               report: Callable[[Outcome], None] | None = None, workers: int | None = None) -> ApplyResult:
    by_key = manifests.by_key()
    ctx.manifests = manifests.manifests
    changes = list(plan.changes)
    position = {c.key: i for i, c in enumerate(changes)}
    outcomes: dict[int, Outcome] = {}
    not_done: dict[ResourceKey, str] = {}
    reported = 0
    running: dict[Future[Outcome], int] = {}
    raised: BaseException | None = None

    def settle(i: int, outcome: Outcome) -> None:
        nonlocal reported
        outcomes[i] = outcome
        if outcome.status in ("failed", "skipped", "held"):
            not_done[changes[i].key] = "failed" if outcome.status == "failed" else "was not applied"
        while reported in outcomes:  # report in the plan's order, as soon as the earlier ones are known
            if report is not None:
                report(outcomes[reported])
            reported += 1

    def waiting_for(i: int) -> bool:
        """Whether change `i` must wait: a dependency (in this plan) not settled yet; for a delete, any earlier
        change not settled yet."""
        change = changes[i]
        if change.action is Action.DELETE:
            return any(j not in outcomes for j in range(i))
        return any(position[d] not in outcomes for d in change.depends_on if d in position)

    def decide(i: int) -> Outcome | None:
        """The outcome of change `i` when it needs no AWS call; None when it is to be applied."""
        change = changes[i]
        if change.action is Action.NOOP:
            return Outcome(change.key, change.action, "unchanged")
        if change.held:
            return Outcome(change.key, change.action, "held", change.held)
        if raised is not None or ctx.should_stop():
            return Outcome(change.key, change.action, "skipped", "not attempted: stopping")
        if blocking := [d for d in change.depends_on if d in not_done]:
            return Outcome(change.key, change.action, "skipped",
                           f"not attempted: {blocking[0]} {not_done[blocking[0]]}")
        return None

    with ThreadPoolExecutor(max_workers=max(1, workers or current_workers()),
                            thread_name_prefix="reconciler-apply") as pool:
        pending = list(range(len(changes)))
        while pending or running:
            for i in list(pending):
                if waiting_for(i):
                    continue
                pending.remove(i)
                decided = decide(i)
                if decided is not None:
                    settle(i, decided)
                    continue
                change = changes[i]
                work = (_deleting(change, ctx) if change.action is Action.DELETE
                        else _applying(change, by_key[change.key], ctx))
                running[pool.submit(contextvars.copy_context().run, work)] = i
                if changes[i].action is Action.DELETE:
                    break  # deletes one at a time
            if not running:
                continue
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f]):
                i = running.pop(future)
                try:
                    settle(i, future.result())
                except BaseException as exc:  # not an AWS answer (a lost lock, a bug): stop, then raise it
                    raised = raised or exc
                    settle(i, Outcome(changes[i].key, changes[i].action, "failed", f"{type(exc).__name__}: {exc}"))
    if raised is not None:
        raise raised
    order = {key: i for i, key in enumerate(c.key for c in changes)}
    ctx.rollouts.sort(key=lambda t: order.get(t.key, len(order)))
    return ApplyResult(tuple(outcomes[i] for i in range(len(changes))))


def _applying(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> Callable[[], Outcome]:
    return lambda: _apply_one(change, m, ctx)


def _deleting(change: ResourceChange, ctx: ApplyContext) -> Callable[[], Outcome]:
    return lambda: _delete_one(change, ctx)


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
