"""Real ECS clients against `reconciler sandbox`: the AWS CLI's services-stable waiter and ecs-deploy.

One `reconciler sandbox --port P` process for the module (pace 0.1 s per scheduler step, through
RECONCILER_SANDBOX_STEP_SECONDS), reached only through AWS_ENDPOINT_URL and dummy credentials, exactly as a
user would point their tools at it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ..sandbox_process import sandbox_process

pytestmark = pytest.mark.server

REGION = "us-east-1"
BIN = Path(sys.executable).parent
SUBNETS = ["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"]  # seeded (reconciler/sandbox/seed.py)
SECURITY_GROUP = "sg-0a0a0a0a0a0a0a0a1"
NETWORK = {"awsvpcConfiguration": {"subnets": SUBNETS, "securityGroups": [SECURITY_GROUP]}}


def tool(name: str) -> str:
    """The console script ``name`` installed beside this Python (the dev extra); failing, not skipping, when
    it is missing, so that a broken install cannot pass CI unnoticed."""
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"`{name}` is not installed: `make test` installs it (the dev extra)")
        return found
    return str(path)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    """A `reconciler sandbox` process; the environment that points AWS tools at it."""
    with sandbox_process("0.1") as env:
        yield env


def ecs(env: dict[str, str]) -> Any:
    return boto3.client("ecs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def fargate_service(env: dict[str, str], cluster: str, service: str, image: str, desired: int = 2,
                    **extra: Any) -> str:
    client = ecs(env)
    client.create_cluster(clusterName=cluster)
    arn: str = client.register_task_definition(
        family=f"{cluster}-{service}", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": image,
                               "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    client.create_service(cluster=cluster, serviceName=service, taskDefinition=arn, desiredCount=desired,
                          launchType="FARGATE", networkConfiguration=NETWORK, **extra)
    return arn


def run(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=timeout)


def test_aws_cli_services_stable_waiter_succeeds(sandbox: dict[str, str]) -> None:
    """ECS: `aws ecs wait services-stable` returns 0 once a new service's rollout has completed."""
    aws = tool("aws")
    fargate_service(sandbox, "cli", "web", "nginx:1.27")
    result = run(sandbox, aws, "ecs", "wait", "services-stable", "--cluster", "cli", "--services", "web")
    assert result.returncode == 0, result.stderr
    service = ecs(sandbox).describe_services(cluster="cli", services=["web"])["services"][0]
    assert len(service["deployments"]) == 1 and service["runningCount"] == 2


def test_ecs_deploy_rolls_out_a_new_image(sandbox: dict[str, str]) -> None:
    """ECS rolling update as ecs-deploy drives it: new revision, new PRIMARY, all tasks RUNNING on it."""
    deploy = tool("ecs")
    first = fargate_service(sandbox, "deploy", "web", "nginx:1.27")
    result = run(sandbox, deploy, "deploy", "deploy", "web", "-i", "app", "nginx:1.28", "--timeout", "120")
    assert result.returncode == 0, result.stdout + result.stderr
    client = ecs(sandbox)
    service = client.describe_services(cluster="deploy", services=["web"])["services"][0]
    assert service["taskDefinition"] != first and service["taskDefinition"].endswith("deploy-web:2")
    assert len(service["deployments"]) == 1 and service["deployments"][0]["rolloutState"] == "COMPLETED"
    image = client.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert image["containerDefinitions"][0]["image"] == "nginx:1.28"
    arns = client.list_tasks(cluster="deploy", serviceName="web")["taskArns"]
    tasks = client.describe_tasks(cluster="deploy", tasks=arns)["tasks"]
    assert len(tasks) == 2
    assert all(t["lastStatus"] == "RUNNING" and t["taskDefinitionArn"] == service["taskDefinition"] for t in tasks)


def test_ecs_deploy_of_a_crashing_image_fails(sandbox: dict[str, str]) -> None:
    """ECS circuit breaker as ecs-deploy sees it: a deploy of an image that cannot start exits non-zero."""
    deploy = tool("ecs")
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    fargate_service(sandbox, "crash", "web", "nginx:1.27", deploymentConfiguration=breaker)
    run(sandbox, tool("aws"), "ecs", "wait", "services-stable", "--cluster", "crash", "--services", "web")
    started = time.monotonic()
    result = run(sandbox, deploy, "deploy", "crash", "web", "-i", "app", "nginx:crash", "--timeout", "120")
    assert result.returncode != 0, result.stdout
    assert time.monotonic() - started < 60  # the failure is detected, not timed out
    service = ecs(sandbox).describe_services(cluster="crash", services=["web"])["services"][0]
    primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
    assert primary["rolloutState"] == "FAILED"
