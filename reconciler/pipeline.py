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
from reconciler.live import read_live
from reconciler.loader import ManifestSet
from reconciler.model.live import LiveState
from reconciler.model.plan import ApplyResult, Outcome, Plan
from reconciler.planning.planner import build_plan

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


def plan(manifests: ManifestSet, conn: Connection, owner: str,
         adopt: frozenset[str] = frozenset()) -> tuple[Plan, LiveState]:
    live = read_live(manifests, conn.ecs, conn.ecr)
    return build_plan(manifests, live, owner=owner, adopt=adopt), live


def apply(plan_: Plan, live: LiveState, manifests: ManifestSet, conn: Connection, owner: str,
          report: Callable[[Outcome], None] | None = None) -> ApplyResult:
    ctx = ApplyContext(ecs=conn.ecs, ecr=conn.ecr, live=live, owner=owner)
    return apply_plan(plan_, manifests, ctx, report)
