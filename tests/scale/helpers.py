"""Manifests for N services over C clusters, each service on a task definition family of its own (the shape of the
scale issue), and what the call-count tests measure: the AWS calls one plan makes, by operation."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler import loader, pipeline
from reconciler.model.plan import Plan

OWNER = "reconciler"


def family(i: int) -> str:
    return f"app-{i:03d}"


def cluster(i: int, clusters: int) -> str:
    return f"scale-{i % clusters}"


def write(directory: Path, services: int, clusters: int, image: str = "nginx:1.27", env: str = "",
          tasks: int = 0) -> Path:
    """`services` EC2 services (desiredCount 0: no tasks to schedule) over `clusters` clusters; `tasks` one-off
    Task manifests on the first families."""
    directory.mkdir(parents=True, exist_ok=True)
    docs = [f"apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {{name: scale-{c}}}\nspec: {{}}\n"
            for c in range(clusters)]
    for i in range(services):
        docs.append(f"apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata: {{name: {family(i)}}}\nspec:\n"
                    f"  containerDefinitions:\n    - name: app\n      image: {image}\n      memory: 64\n"
                    f"      environment: [{{name: SLOT, value: '{i}'}}{env}]\n")
        docs.append(f"apiVersion: reconciler/v1\nkind: Service\nmetadata: {{name: svc-{i:03d}}}\nspec:\n"
                    f"  cluster: {cluster(i, clusters)}\n  taskDefinition: {family(i)}\n  desiredCount: 0\n"
                    "  launchType: EC2\n")
    for i in range(tasks):
        docs.append(f"apiVersion: reconciler/v1\nkind: Task\nmetadata: {{name: job-{i:03d}}}\nspec:\n"
                    f"  cluster: {cluster(i, clusters)}\n  taskDefinition: {family(i)}\n  launchType: EC2\n")
    (directory / "all.yaml").write_text("---\n".join(docs))
    return directory


def calls_of(conn: Any, paths: list[str], options: pipeline.PlanOptions | None = None) -> tuple[Plan, Counter[str]]:
    """A plan, and the AWS operations it made: ECS's by name ("DescribeServices"), others with their service
    ("ecr.ListTagsForResource")."""
    before, _ = conn.clients.calls.snapshot()
    plan, _ = pipeline.plan(loader.load(paths), conn, options or pipeline.PlanOptions(owner=OWNER))
    after, _ = conn.clients.calls.snapshot()
    return plan, Counter({k.removeprefix("ecs."): v for k, v in (after - before).items()})


def apply_all(conn: Any, paths: list[str]) -> None:
    manifests = loader.load(paths)
    plan, live = pipeline.plan(manifests, conn, pipeline.PlanOptions(owner=OWNER))
    assert not plan.errors, plan.errors
    result = pipeline.apply(plan, live, manifests, conn, OWNER, poll_seconds=0.05).result
    assert result.ok, [o for o in result.outcomes if o.status != "applied"]


def floor(services: int, clusters: int, revisions: int) -> Counter[str]:
    """The calls of a no-op plan with every revision already known: ceil(n/10) DescribeServices per cluster, one
    DescribeClusters per 100 clusters, one ListTaskDefinitions page per 100 ACTIVE revisions in the account."""
    per_cluster = Counter(i % clusters for i in range(services))
    return Counter({"DescribeServices": sum(math.ceil(n / 10) for n in per_cluster.values()),
                    "DescribeClusters": math.ceil(clusters / 100),
                    "ListTaskDefinitions": max(1, math.ceil(revisions / 100))})
