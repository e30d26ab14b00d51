"""Benchmark: how long `reconciler import` takes to shorten task definitions (`roundtrip.minimal`), the step
that normalises each candidate field away; and a whole live import of N services (in-process sandbox).

    .venv/bin/python bench/import_scale.py [N ...]      (default: 10 100)

Prints the time to shorten one large task definition (10 containers of 60 environment variables, 20 docker
labels, ports, logs and health checks) and, per N, the time of `import_live` over a cluster of N services
each on its own task definition family (moto's own cost included).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

from moto import mock_aws

from reconciler import pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.importing import roundtrip
from reconciler.importing.live import import_live
from reconciler.model.keys import Kind
from reconciler.sandbox import install_ecs_fixes
from reconciler.sandbox.seed import seed_sandbox


def container(i: int) -> dict[str, object]:
    return {"name": f"c{i}", "image": "nginx:1", "cpu": 0, "essential": True, "memory": 128,
            "environment": [{"name": f"V{n}", "value": str(n)} for n in range(60)],
            "portMappings": [{"containerPort": 80 + i, "hostPort": 80 + i, "protocol": "tcp"}],
            "dockerLabels": {f"label{n}": "x" for n in range(20)},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3}}


def large_task_definition() -> str:
    live = {"networkMode": "awsvpc", "cpu": "1024", "memory": "2048",
            "containerDefinitions": [container(i) for i in range(10)]}
    started = time.perf_counter()
    roundtrip.minimal(Kind.TASK_DEFINITION, roundtrip.input_form(Kind.TASK_DEFINITION, live))
    return f"one task definition of 10 containers: {time.perf_counter() - started:.2f}s"


def live_import(n: int) -> str:
    install_ecs_fixes()
    with mock_aws():
        seed_sandbox(None, "us-east-1")
        conn = pipeline.connect(AwsSettings(region="us-east-1", rate_share=None))  # moto does not throttle
        ecs = conn.clients.ecs
        ecs.create_cluster(clusterName="bench")
        for i in range(n):
            ecs.register_task_definition(family=f"app-{i:04d}", containerDefinitions=[container(0), container(1)])
            ecs.create_service(cluster="bench", serviceName=f"svc-{i:04d}", taskDefinition=f"app-{i:04d}",
                               desiredCount=0, launchType="EC2")
        started = time.perf_counter()
        result = import_live(conn.ecs, conn.ecr, "us-east-1", ["bench"], [], all_clusters=False)
        elapsed = time.perf_counter() - started
    return f"N={n}: import_live {elapsed:.2f}s for {len(result.documents)} documents"


def main() -> None:
    print(large_task_definition())
    for n in [int(a) for a in sys.argv[1:]] or [10, 100]:
        print(live_import(n))


if __name__ == "__main__":
    main()
