"""AWS's latency and ECS's request throttling in the sandbox (``Limits``; ``reconciler sandbox --aws-latency
--aws-throttling``). Bucket arithmetic runs on a clock the tests control; nothing here asserts on time."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler import loader, pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.sandbox import Limits, Sandbox
from reconciler.sandbox.limits import ECS_ACTION_GROUPS, ECS_BUCKETS, LimitsMiddleware, TokenBuckets

from ..conftest import MANIFESTS
from ..sandbox_process import CLI, sandbox_process

REGION = "us-east-1"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


class ManualClock:
    """Seconds that pass only when the test says so, or, once resumed, with real time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 1000.0
        self._resumed_at: float | None = None

    def __call__(self) -> float:
        with self._lock:
            if self._resumed_at is None:
                return self._now
            return self._now + time.monotonic() - self._resumed_at

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def resume(self) -> None:
        with self._lock:
            self._resumed_at = time.monotonic()


# ------------------------------------------------------------------------------------------ buckets


def test_the_table_is_ecs_published_one() -> None:
    """Spot checks against "Request throttling for the Amazon ECS API" (burst, sustained per group)."""
    assert ECS_BUCKETS[ECS_ACTION_GROUPS["DescribeServices"]] == (100, 20)
    assert ECS_ACTION_GROUPS["ListServices"] == ECS_ACTION_GROUPS["DescribeServices"] == "Service read actions"
    assert ECS_BUCKETS[ECS_ACTION_GROUPS["DescribeClusters"]] == (50, 20)
    assert ECS_BUCKETS[ECS_ACTION_GROUPS["UpdateService"]] == (50, 5)
    assert ECS_BUCKETS[ECS_ACTION_GROUPS["RegisterTaskDefinition"]] == (20, 1)
    assert ECS_BUCKETS[ECS_ACTION_GROUPS["RunTask"]] == (100, 40)
    assert ECS_BUCKETS[ECS_ACTION_GROUPS["DescribeTasks"]] == (100, 20)
    assert set(ECS_ACTION_GROUPS.values()) == set(ECS_BUCKETS)


def test_a_bucket_allows_its_burst_then_refills_at_the_sustained_rate() -> None:
    clock = ManualClock()
    buckets = TokenBuckets(clock=clock)
    allowed = [buckets.take("a", REGION, "DescribeServices") for _ in range(150)]
    assert allowed.count(True) == 100 and allowed[:100] == [True] * 100
    assert not buckets.take("a", REGION, "ListServices")  # the same group shares the bucket
    assert buckets.throttled == {"DescribeServices": 50, "ListServices": 1}

    clock.advance(1.0)
    assert [buckets.take("a", REGION, "DescribeServices") for _ in range(21)].count(True) == 20
    clock.advance(3600)  # never more than the burst
    assert [buckets.take("a", REGION, "ListServices") for _ in range(101)].count(True) == 100


def test_buckets_are_per_group_account_and_region_and_unknown_actions_pass() -> None:
    buckets = TokenBuckets(clock=ManualClock())
    for _ in range(100):
        buckets.take("a", REGION, "DescribeServices")
    assert not buckets.take("a", REGION, "DescribeServices")
    assert buckets.take("a", REGION, "DescribeClusters")
    assert buckets.take("a", "eu-west-1", "DescribeServices")
    assert buckets.take("b", REGION, "DescribeServices")
    assert all(buckets.take("a", REGION, "SomeFutureAction") for _ in range(1000))


def test_latency_delays_every_aws_request_but_not_the_moto_api() -> None:
    slept: list[float] = []
    answered: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        answered.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b""]

    middleware = LimitsMiddleware(app, Limits(latency=0.04, sleep=slept.append))
    for path, target in (("/", "AmazonEC2ContainerServiceV20141113.ListClusters"), ("/", ""),
                         ("/moto-api/reset", "")):
        middleware({"PATH_INFO": path, "HTTP_X_AMZ_TARGET": target}, lambda *_: None)
    assert slept == [0.04, 0.04]
    assert answered == ["/", "/", "/moto-api/reset"]


def test_limits_reject_an_unrealistic_latency() -> None:
    with pytest.raises(ValueError, match="latency"):
        Limits(latency=-1)


# ------------------------------------------------------------------------------- through the sandbox


@pytest.fixture
def paused() -> ManualClock:
    return ManualClock()


@pytest.fixture
def throttled_sandbox(paused: ManualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with Sandbox(iam_managed_policies=False, limits=Limits(throttling=True, clock=paused)) as sandbox:
        yield sandbox


def client(sandbox: Sandbox, service: str, config: Config = NO_RETRIES) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=sandbox.url, config=config,  # type: ignore[call-overload]
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_a_burst_of_200_describe_services_is_throttled_like_ecs(throttled_sandbox: Sandbox) -> None:
    ecs = client(throttled_sandbox, "ecs")
    ecs.create_cluster(clusterName="c1")
    codes: list[str] = []
    for _ in range(200):
        try:
            ecs.describe_services(cluster="c1", services=["web"])
            codes.append("ok")
        except ClientError as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            assert exc.response["Error"]["Message"] == "Rate exceeded"
            codes.append(exc.response["Error"]["Code"])
    assert codes == ["ok"] * 100 + ["ThrottlingException"] * 100
    assert throttled_sandbox.throttled() == {"DescribeServices": 100}
    ecs.list_clusters()  # another group's bucket
    client(throttled_sandbox, "ec2").describe_vpcs()  # not ECS


def test_the_products_plan_completes_while_ecs_throttles_it(
    throttled_sandbox: Sandbox, paused: ManualClock, tmp_path: Path
) -> None:
    """The bucket is empty and stays empty until the plan has been throttled; then it refills at ECS's rate.
    botocore's adaptive retries (reconciler/aws/clients.py) carry the plan through."""
    ecs = client(throttled_sandbox, "ecs")
    ecs.create_cluster(clusterName="c1")
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for i in range(3):
        ecs.create_service(cluster="c1", serviceName=f"s{i}", taskDefinition="app", desiredCount=0, launchType="EC2")
    (tmp_path / "m.yaml").write_text("".join(
        "---\napiVersion: reconciler/v1\nkind: Service\n"
        f"metadata: {{name: s{i}}}\nspec: {{cluster: c1, taskDefinition: app, desiredCount: 1, launchType: EC2}}\n"
        for i in range(3)))
    while throttled_sandbox.throttled().get("DescribeServices", 0) == 0:  # empty the bucket
        with contextlib.suppress(ClientError):
            ecs.describe_services(cluster="c1", services=["s0"])
    drained = throttled_sandbox.throttled()["DescribeServices"]

    done = threading.Event()

    def resume_once_the_plan_is_throttled() -> None:
        deadline = time.monotonic() + 120
        while not done.is_set() and time.monotonic() < deadline:
            if throttled_sandbox.throttled()["DescribeServices"] > drained:
                paused.resume()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=resume_once_the_plan_is_throttled, daemon=True)
    watcher.start()
    try:
        conn = pipeline.connect(AwsSettings(region=REGION, endpoint_url=throttled_sandbox.url,
                                            access_key="testing", secret_key="testing"))
        plan, _ = pipeline.plan(loader.load([str(tmp_path)], {}), conn, pipeline.PlanOptions())
    finally:
        done.set()
        watcher.join()
    assert throttled_sandbox.throttled()["DescribeServices"] > drained  # the plan was throttled...
    assert {c.key.name: c.action.value for c in plan.changes} == {f"c1/s{i}": "update" for i in range(3)}  # ...done


# ------------------------------------------------------------------------------------ the command


@pytest.mark.server
def test_reconciler_sandbox_aws_throttling_end_to_end(tmp_path: Path) -> None:
    """`reconciler sandbox --aws-throttling --aws-latency 5ms`: a burst of DescribeServices is throttled with
    ECS's error, and `reconciler plan` still completes."""
    with sandbox_process("0.05", "--aws-throttling", "--aws-latency", "5ms") as env:
        ecs = boto3.client("ecs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION, config=NO_RETRIES,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        ecs.create_cluster(clusterName="burst")

        def describe(_: int) -> str:
            try:
                ecs.describe_services(cluster="burst", services=["web"])
                return "ok"
            except ClientError as exc:
                return str(exc.response["Error"]["Code"])

        results: list[str] = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            while "ThrottlingException" not in results and len(results) < 2000:  # 200 at a time
                results += list(pool.map(describe, range(200)))
        assert "ThrottlingException" in results
        assert set(results) == {"ok", "ThrottlingException"}

        plan = subprocess.run([CLI, "plan", str(MANIFESTS), "-o", "json"], env=env, capture_output=True,
                              text=True, timeout=300)
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["summary"]["create"] >= 4
