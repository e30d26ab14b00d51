"""The ECS chapter's cluster (examples/ec2-cluster) in a test's own directory, and the steps of the EC2 capacity
tests: apply and wait, plan, read what AWS holds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from reconciler import loader, pipeline
from reconciler.model.plan import ApplyResult, Plan

from ..conftest import EC2_CLUSTER

OWNER = "reconciler"
# moto in-process knows no AWS-managed policy (MOTO_IAM_LOAD_MANAGED_POLICIES): a customer one stands in for
# AmazonEC2ContainerServiceforEC2Role. (The sandbox process has the real one.)
MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
STAND_IN_POLICY = "arn:aws:iam::123456789012:policy/ecs-instance"


def chapter(tmp_path: Path, conn: Any | None = None, name: str = "ec2") -> Path:
    """A copy of the chapter's cluster; with `conn` (in-process moto), the role's managed policy is a stand-in."""
    target = tmp_path / name
    shutil.copytree(EC2_CLUSTER, target)
    if conn is not None:
        conn.clients.client("iam").create_policy(
            PolicyName="ecs-instance", PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                                      '"Action": "ecs:*", "Resource": "*"}]}')
        edit(target / "role.yaml", MANAGED_POLICY, STAND_IN_POLICY)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def plan_of(conn: Any, path: Path, variables: dict[str, str] | None = None, **options: Any) -> Plan:
    built, _ = pipeline.plan(loader.load([str(path)], variables or {}, allow_empty=options.get("prune", False)),
                             conn, pipeline.PlanOptions(owner=OWNER, **options))
    return built


def apply(conn: Any, path: Path, variables: dict[str, str] | None = None, *, timeout: float = 120.0,
          keep_versions: int = 5, **options: Any) -> tuple[Plan, ApplyResult]:
    """Plan, apply and wait for the rollouts it started (each must succeed when the apply did)."""
    manifests = loader.load([str(path)], variables or {}, allow_empty=options.get("prune", False))
    built, live = pipeline.plan(manifests, conn, pipeline.PlanOptions(owner=OWNER, **options))
    assert not built.errors, built.errors
    applied = pipeline.apply(built, live, manifests, conn, OWNER, poll_seconds=0.05, rollout_timeout=timeout,
                             keep_versions=keep_versions)
    if applied.result.ok:
        rollouts = applied.waited + pipeline.wait(applied.rollouts, conn, poll_seconds=0.05)
        assert all(r.ok for r in rollouts), [r.message for r in rollouts if not r.ok]
    return built, applied.result


def assert_converges(conn: Any, path: Path, variables: dict[str, str] | None = None) -> ApplyResult:
    """Apply; then the plan is empty and a second apply makes no mutating AWS call."""
    _, result = apply(conn, path, variables)
    assert result.ok, [(str(o.key), o.status, o.message) for o in result.outcomes if o.status != "applied"]
    after = plan_of(conn, path, variables)
    assert not after.has_changes, [(str(c.key), c.reason, c.fields) for c in after.changes if c.is_change]
    conn.clients.mutations.calls.clear()
    _, again = apply(conn, path, variables)
    assert again.ok
    assert conn.clients.mutations.calls == [], f"a second apply made mutating calls: {conn.clients.mutations.calls}"
    return result


def container_instances(conn: Any, cluster: str = "chapter") -> list[dict[str, Any]]:
    arns = conn.ecs.list_container_instances(cluster)
    return conn.ecs.describe_container_instances(cluster, arns) if arns else []


def instance_types(conn: Any, cluster: str = "chapter") -> list[str]:
    return sorted(next(a["value"] for a in i["attributes"] if a["name"] == "ecs.instance-type")
                  for i in container_instances(conn, cluster))


def host_terminated_stops(conn: Any, cluster: str = "chapter") -> list[dict[str, Any]]:
    """Tasks stopped because their instance terminated under them (what a safe roll never causes)."""
    arns = conn.ecs.list_tasks(cluster, desired_status="STOPPED")
    tasks = conn.ecs.describe_tasks(cluster, arns) if arns else []
    return [t for t in tasks if t.get("stopCode") == "TerminationNotice"]


def running(conn: Any, cluster: str = "chapter", service: str = "chapter-web") -> int:
    return int(conn.ecs.describe_services(cluster, [service])[service]["runningCount"])
