"""The shared pipeline of every entry point: load → read live → plan → (apply → verify)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reconciler.apply.context import ApplyContext
from reconciler.apply.executor import apply_plan
from reconciler.aws.clients import AwsSettings, Clients, make_clients
from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.aws.lookups import Lookups
from reconciler.live import read_live
from reconciler.loader import ManifestSet
from reconciler.model.live import LiveState
from reconciler.model.plan import ApplyResult, Outcome, Plan
from reconciler.planning.planner import build_plan
from reconciler.planning.prune import DEFAULT_KEEP_REVISIONS
from reconciler.rollouts.wait import DEFAULT_TIMEOUT_SECONDS, Reporter, RolloutResult, RolloutTarget, wait_for_rollouts

SANDBOX_REGION = "us-east-1"


@dataclass
class Connection:
    clients: Clients
    ecs: EcsApi
    ecr: EcrApi


def connect(settings: AwsSettings) -> Connection:
    clients = make_clients(settings)
    return Connection(clients, EcsApi(clients.ecs), EcrApi(clients.ecr))


@contextmanager
def sandbox_settings(region: str | None) -> Iterator[AwsSettings]:
    """An ephemeral in-process sandbox for one command (`--sandbox`); gone when the command ends."""
    from reconciler.sandbox import Sandbox

    with Sandbox(port=0, region=region or SANDBOX_REGION) as sandbox:
        yield AwsSettings(region=region or SANDBOX_REGION, endpoint_url=sandbox.url,
                          access_key="testing", secret_key="testing")


@dataclass(frozen=True)
class PlanOptions:
    owner: str = "reconciler"
    adopt: frozenset[str] = frozenset()
    retry_failed: bool = False
    prune: bool = False
    keep_revisions: int = DEFAULT_KEEP_REVISIONS


def plan(manifests: ManifestSet, conn: Connection, options: PlanOptions) -> tuple[Plan, LiveState]:
    live = read_live(manifests, conn.ecs, conn.ecr, owner=options.owner if options.prune else None,
                     lookups=Lookups(conn.clients))
    built = build_plan(manifests, live, owner=options.owner, adopt=options.adopt,
                       retry_failed=options.retry_failed, keep_revisions=options.keep_revisions)
    return built, live


@dataclass
class Applied:
    result: ApplyResult
    rollouts: list[RolloutTarget]  # rollouts started and not waited for yet
    waited: list[RolloutResult]  # rollouts already waited for during apply (before `runAfter` hooks)


def apply(plan_: Plan, live: LiveState, manifests: ManifestSet, conn: Connection, owner: str,
          report: Callable[[Outcome], None] | None = None,
          rollout_timeout: float = DEFAULT_TIMEOUT_SECONDS, reporter: Reporter | None = None,
          poll_seconds: float = 5.0, should_stop: Callable[[], bool] | None = None,
          extra_tags: dict[str, str] | None = None) -> Applied:
    """Apply the plan: what was done, and the service rollouts it started."""
    ctx = ApplyContext(ecs=conn.ecs, ecr=conn.ecr, live=live, owner=owner, rollout_timeout=rollout_timeout,
                       reporter=reporter, poll_seconds=poll_seconds, extra_tags=dict(extra_tags or {}))
    if should_stop is not None:
        ctx.should_stop = should_stop
    result = apply_plan(plan_, manifests, ctx, report)
    pending = [t for t in ctx.rollouts if t.key not in ctx.rollout_results]
    return Applied(result, pending, list(ctx.rollout_results.values()))


def wait(targets: list[RolloutTarget], conn: Connection, reporter: Reporter | None = None,
         poll_seconds: float = 5.0) -> list[RolloutResult]:
    return wait_for_rollouts(targets, conn.ecs, reporter=reporter, poll_seconds=poll_seconds)
