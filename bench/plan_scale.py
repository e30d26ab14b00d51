"""Benchmark: how long `plan` takes, and how much memory it uses, for N services (in-process sandbox).

    .venv/bin/python bench/plan_scale.py [N ...]      (default: 10 100 300)

Prints one line per N: the time to apply everything from scratch (API calls only, no rollout wait),
the time of a no-change plan (reading live state and diffing: the cost of every watch pass), the AWS
read calls that plan made, and the peak Python memory of the plan. moto's own cost is included and
dominates: profiling 300 services showed ~90% of a no-change plan in moto serialising DescribeServices
answers (each service carries its deployments and up to 100 events), ~0.25 s in reading and planning.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

from moto import mock_aws

from reconciler import loader, pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.sandbox import install_ecs_fixes, seed_sandbox

CLUSTER = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: bench}\nspec: {}\n"
TASKDEF = ("apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata: {name: app}\nspec:\n"
           "  containerDefinitions:\n    - {name: app, image: 'nginx:1', memory: 64,\n"
           "       environment: [{name: A, value: '1'}, {name: B, value: '2'}]}\n")
SERVICE = ("apiVersion: reconciler/v1\nkind: Service\nmetadata: {{name: svc-{i:04d}}}\nspec:\n  cluster: bench\n"
           "  taskDefinition: app\n  desiredCount: 0\n  launchType: EC2\n"
           "  deploymentConfiguration: {{maximumPercent: 200, minimumHealthyPercent: 50}}\n")


def run(n: int) -> str:
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        seed_sandbox(None, "us-east-1")
        Path(tmp, "all.yaml").write_text("---\n".join([CLUSTER, TASKDEF] + [SERVICE.format(i=i) for i in range(n)]))
        manifests = loader.load([tmp])
        conn = pipeline.connect(AwsSettings(region="us-east-1"))
        options = pipeline.PlanOptions()
        start = time.perf_counter()
        plan, live = pipeline.plan(manifests, conn, options)
        applied = pipeline.apply(plan, live, manifests, conn, "reconciler", poll_seconds=0.01)
        assert applied.result.ok
        apply_seconds = time.perf_counter() - start
        calls: list[str] = []
        conn.clients.ecs.meta.events.register("before-call.ecs.*", lambda event_name, **_: calls.append(event_name))
        tracemalloc.start()
        start = time.perf_counter()
        again, _ = pipeline.plan(manifests, conn, options)
        plan_seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert not again.has_changes
        return (f"services={n:5d}  apply-from-scratch={apply_seconds:6.2f}s  no-change-plan={plan_seconds:6.2f}s  "
                f"read-calls={len(calls):4d}  plan-peak-memory={peak / 2**20:6.1f} MiB")


def main() -> None:
    install_ecs_fixes()
    for n in [int(a) for a in sys.argv[1:]] or [10, 100, 300]:
        print(run(n), flush=True)


if __name__ == "__main__":
    main()
