"""The shared pipeline of every entry point: load → read live → plan → (apply → verify)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from reconciler import log
from reconciler.apply.context import ApplyContext
from reconciler.apply.executor import apply_plan
from reconciler.aws.autoscaling import AutoScalingApi
from reconciler.aws.capacity import CapacityApis
from reconciler.aws.clients import AwsSettings, Clients, make_clients
from reconciler.aws.ec2 import Ec2Api
from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.aws.iam import IamApi
from reconciler.aws.lookups import Lookups
from reconciler.errors import SandboxError
from reconciler.live import read_live
from reconciler.live.cache import DiskCache, RevisionCache, is_aws_endpoint
from reconciler.live.task_definitions import refresh_tags
from reconciler.loader import ManifestSet
from reconciler.model.keys import Kind
from reconciler.model.live import LiveState
from reconciler.model.plan import Action, ApplyResult, Outcome, Plan
from reconciler.model.sensitive import DEFAULT_PATTERNS
from reconciler.planning.mask import plain_secret_warnings
from reconciler.planning.planner import build_plan
from reconciler.planning.prune import DEFAULT_KEEP_REVISIONS
from reconciler.rollouts.wait import DEFAULT_TIMEOUT_SECONDS, Reporter, RolloutResult, RolloutTarget, wait_for_rollouts

SANDBOX_REGION = "us-east-1"


@dataclass
class Connection:
    clients: Clients
    ecs: EcsApi
    ecr: EcrApi
    cache: RevisionCache = field(default_factory=RevisionCache)  # task definition revisions already read
    disk: DiskCache | None = None  # where `cache` is loaded from and saved to (None: memory only)
    # EC2 capacity: clients made on first use (a plan without these kinds never makes them).
    iam: IamApi = field(init=False)
    ec2: Ec2Api = field(init=False)
    autoscaling: AutoScalingApi = field(init=False)

    def __post_init__(self) -> None:
        self.iam = IamApi(lambda: self.clients.client("iam"))
        self.ec2 = Ec2Api(lambda: self.clients.client("ec2"))
        self.autoscaling = AutoScalingApi(lambda: self.clients.client("autoscaling"))

    @property
    def capacity(self) -> CapacityApis:
        return CapacityApis(self.ecs, self.iam, self.ec2, self.autoscaling, self.clients.region)


def connect(settings: AwsSettings, cache_dir: Path | None = None) -> Connection:
    """Clients for `settings`; with `cache_dir`, the task definition cache of this endpoint and region is loaded
    from there (and `save_cache` writes it back)."""
    clients = make_clients(settings)
    cache = RevisionCache(aws_endpoint=is_aws_endpoint(clients.endpoint))
    clients.ecs.meta.events.register("before-parameter-build.ecs.TagResource", partial(_tags_changed, cache))
    clients.ecs.meta.events.register("before-parameter-build.ecs.UntagResource", partial(_tags_changed, cache))
    disk = DiskCache(cache_dir, clients.endpoint, clients.region) if cache_dir is not None else None
    if disk is not None:
        disk.load(cache, log.get().debug)
    return Connection(clients, EcsApi(clients.ecs), EcrApi(clients.ecr), cache, disk)


def _tags_changed(cache: RevisionCache, params: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A revision is being retagged (by us): what the cache knows of its tags is no longer current."""
    arn = str((params or {}).get("resourceArn", ""))
    if ":task-definition/" in arn:
        cache.forget_tags(arn)


def save_cache(conn: Connection) -> None:
    """Write the task definition cache to its directory, if it learnt something since it was last written."""
    if conn.disk is not None and conn.cache.dirty:
        conn.disk.save(conn.cache, log.get().debug)


SANDBOX_INSTALL = "pip install 'reconciler[sandbox]'"


def load_sandbox() -> ModuleType:
    """The sandbox package (the `sandbox` extra, which brings moto), or a SandboxError naming the install command.

    This is the product's one way into the sandbox (an import-linter contract keeps it so)."""
    try:
        import reconciler.sandbox as sandbox
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing == "reconciler":
            raise
        raise SandboxError(f"the sandbox is not installed (no module {missing or 'moto'!r}); install it with: "
                           f"{SANDBOX_INSTALL}") from None
    return sandbox


@contextmanager
def running_sandbox(port: int = 0, region: str | None = None, *, latency: float = 0.0,
                    throttling: bool = False) -> Iterator[Any]:
    """A sandbox on 127.0.0.1:``port`` (0: any free port), seeded and listening, until the block ends."""
    sandbox = load_sandbox()
    try:
        server = sandbox.Sandbox(port=port, region=region or SANDBOX_REGION,
                                 limits=sandbox.Limits(latency=latency, throttling=throttling))
        server.start()
    except sandbox.SandboxStartError as exc:
        raise SandboxError(str(exc)) from None
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def sandbox_settings(region: str | None) -> Iterator[AwsSettings]:
    """An ephemeral in-process sandbox for one command (`--sandbox`); gone when the command ends."""
    with running_sandbox(0, region) as sandbox:
        yield AwsSettings(region=region or SANDBOX_REGION, endpoint_url=sandbox.url,
                          access_key="testing", secret_key="testing")


@dataclass(frozen=True)
class PlanOptions:
    owner: str = "reconciler"
    adopt: frozenset[str] = frozenset()
    retry_failed: bool = False
    prune: bool = False
    keep_revisions: int = DEFAULT_KEEP_REVISIONS
    sensitive_patterns: tuple[str, ...] = DEFAULT_PATTERNS  # names whose values are masked (and warned about)


def plan(manifests: ManifestSet, conn: Connection, options: PlanOptions) -> tuple[Plan, LiveState]:
    conn.cache.patterns = options.sensitive_patterns  # (what may not be written to the cache's file)
    live = read_live(manifests, conn.ecs, conn.ecr, owner=options.owner if options.prune else None,
                     lookups=Lookups(conn.clients), capacity_apis=conn.capacity, cache=conn.cache)

    def planned() -> Plan:
        return build_plan(manifests, live, owner=options.owner, adopt=options.adopt,
                          retry_failed=options.retry_failed, keep_revisions=options.keep_revisions)

    built = planned()
    # Tags known from a recent read only show that nothing changed: a change is planned from tags read now.
    stale = sorted({c.arn for c in built.changes if c.key.kind is Kind.TASK_DEFINITION and c.arn is not None
                    and c.action is not Action.NOOP and c.arn in live.cached_tags})
    if stale:
        refresh_tags(live, stale, conn.ecs, conn.cache)
        built = planned()
    save_cache(conn)
    secrets = plain_secret_warnings(manifests.manifests, options.sensitive_patterns)
    loading = [w.render() for w in manifests.warnings]  # what loading found worth knowing (an unknown annotation)
    return replace(built, warnings=(*loading, *secrets, *built.warnings)), live


@dataclass
class Applied:
    result: ApplyResult
    rollouts: list[RolloutTarget]  # rollouts started and not waited for yet
    waited: list[RolloutResult]  # rollouts already waited for during apply (before `runAfter` hooks)


def apply(plan_: Plan, live: LiveState, manifests: ManifestSet, conn: Connection, owner: str,
          report: Callable[[Outcome], None] | None = None,
          rollout_timeout: float = DEFAULT_TIMEOUT_SECONDS, reporter: Reporter | None = None,
          poll_seconds: float = 5.0, should_stop: Callable[[], bool] | None = None,
          extra_tags: dict[str, str] | None = None, keep_versions: int = DEFAULT_KEEP_REVISIONS) -> Applied:
    """Apply the plan: what was done, and the service rollouts it started."""
    ctx = ApplyContext(ecs=conn.ecs, ecr=conn.ecr, live=live, owner=owner, rollout_timeout=rollout_timeout,
                       reporter=reporter, poll_seconds=poll_seconds, extra_tags=dict(extra_tags or {}),
                       capacity=conn.capacity, region=conn.clients.region, keep_versions=keep_versions)
    if should_stop is not None:
        ctx.should_stop = should_stop
    result = apply_plan(plan_, manifests, ctx, report)
    pending = [t for t in ctx.rollouts if t.key not in ctx.rollout_results]
    return Applied(result, pending, list(ctx.rollout_results.values()))


def container_instances(conn: Connection, clusters: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Cluster -> its container instances as `reconciler status` lists them."""
    from reconciler.live import container_instances as read_instances

    return read_instances.read(conn.ecs, clusters)


def wait(targets: list[RolloutTarget], conn: Connection, reporter: Reporter | None = None,
         poll_seconds: float = 5.0) -> list[RolloutResult]:
    return wait_for_rollouts(targets, conn.ecs, reporter=reporter, poll_seconds=poll_seconds)
