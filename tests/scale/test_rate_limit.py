"""The client-side rate limiter (reconciler.aws.ratelimit) and throttling end to end: the product keeps within its
share of ECS's buckets, and with the sandbox's throttling on (and another tool draining the same buckets) no
ThrottlingException reaches the user and nothing is left half-applied."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler import loader, pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.aws.ratelimit import ECS_ACTION_GROUPS, ECS_BUCKETS, RateLimiter, TokenBucket, share_from

from ..conftest import REGION
from .helpers import OWNER, apply_all, calls_of, write


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_bucket_gives_its_burst_then_its_rate() -> None:
    fake = FakeTime()
    bucket = TokenBucket(capacity=3, rate=2.0, clock=fake.clock)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert [bucket.reserve() for _ in range(3)] == [0.5, 1.0, 1.5]  # queued behind each other
    fake.now = 10.0  # a long pause refills it, never beyond its capacity
    assert [bucket.reserve() for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_the_limiter_keeps_each_group_within_its_share_of_ecs_buckets() -> None:
    fake = FakeTime()
    limiter = RateLimiter(0.5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(10):  # task definition modify: burst 20, 1/s -> 10 at once, then one every 2 s
        limiter.acquire("ecs", "RegisterTaskDefinition")
    assert fake.slept == []
    for _ in range(3):
        limiter.acquire("ecs", "RegisterTaskDefinition")
    assert fake.slept == [2.0, 2.0, 2.0]
    limiter.acquire("ecs", "DescribeServices")  # another group: its own bucket
    limiter.acquire("ecs", "NotAnEcsAction")  # not on AWS's page: not limited
    limiter.acquire("ecr", "DescribeRepositories")  # not ECS: not limited
    assert fake.slept == [2.0, 2.0, 2.0]
    assert limiter.waited == {"RegisterTaskDefinition": 6.0}


def test_over_a_minute_the_limiter_never_exceeds_the_bucket() -> None:
    fake = FakeTime()
    limiter = RateLimiter(1.0, clock=fake.clock, sleep=fake.sleep)
    sent = 0
    while fake.now < 60.0:
        limiter.acquire("ecs", "DescribeServices")  # service read: burst 100, 20/s
        sent += 1
    assert sent <= 100 + 20 * 60 + 1


def test_off_limits_nothing() -> None:
    fake = FakeTime()
    limiter = RateLimiter(None, clock=fake.clock, sleep=fake.sleep)
    for _ in range(500):
        limiter.acquire("ecs", "RegisterTaskDefinition")
    assert fake.slept == []


def test_the_table_names_every_action_the_product_calls_once() -> None:
    assert set(ECS_ACTION_GROUPS.values()) == set(ECS_BUCKETS)
    for action in ("DescribeServices", "DescribeClusters", "ListTaskDefinitions", "DescribeTaskDefinition",
                   "RegisterTaskDefinition", "CreateService", "UpdateService", "TagResource", "ListTagsForResource",
                   "RunTask", "DescribeTasks", "ListTasks"):
        assert action in ECS_ACTION_GROUPS


@pytest.mark.parametrize(("given", "share"), [(None, 0.8), ("0.5", 0.5), ("1", 1.0), ("off", None), ("OFF", None)])
def test_shares(given: str | None, share: float | None) -> None:
    assert share_from(given) == share


@pytest.mark.parametrize("given", ["0", "1.5", "-1", "half", "nan"])
def test_a_bad_share_is_refused(given: str) -> None:
    with pytest.raises(ValueError):
        share_from(given)


def test_the_share_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_AWS_RATE_SHARE", "0.25")
    assert share_from(None) == 0.25


@pytest.fixture
def throttling_sandbox(aws_env: None) -> Any:
    from reconciler.sandbox import Limits, Sandbox, get_pace, set_pace

    pace = get_pace()
    with Sandbox(iam_managed_policies=False, step_seconds=0.05, limits=Limits(throttling=True)) as server:
        try:
            yield server
        finally:
            server.reset(seed=False)
            set_pace(pace)


def crowd(sandbox: Any, stop: threading.Event) -> list[threading.Thread]:
    """Another tool in the same account: it empties the task definition and cluster read buckets (three threads,
    as fast as they can, until ECS throttles them), then keeps reading at half their sustained rate."""
    ecs = boto3.client("ecs", endpoint_url=sandbox.url, region_name=REGION, aws_access_key_id="testing",
                       aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))
    emptied = threading.Event()

    def run(steady: bool) -> None:
        while not stop.is_set():
            for call in (lambda: ecs.list_task_definitions(maxResults=1), lambda: ecs.describe_clusters(clusters=[])):
                with contextlib.suppress(ClientError):  # throttled: the point
                    call()
            if emptied.is_set():
                if not steady:
                    return
                time.sleep(0.1)  # 10 a second of each: half of ECS's 20

    threads = [threading.Thread(target=run, args=(i == 0,), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while not {"ListTaskDefinitions", "DescribeClusters"} <= set(sandbox.throttled()):
        assert time.monotonic() < deadline, "the other tool never emptied the buckets"
        time.sleep(0.05)
    emptied.set()
    return threads


def test_throttled_by_ecs_and_crowded_by_another_tool_the_apply_completes(throttling_sandbox: Any,
                                                                          tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=15, clusters=2))]
    conn = pipeline.connect(AwsSettings(region=REGION, endpoint_url=throttling_sandbox.url, access_key="testing",
                                        secret_key="testing"))
    stop = threading.Event()
    try:
        others = crowd(throttling_sandbox, stop)
        apply_all(conn, m)
        plan, _ = calls_of(conn, m)
    finally:
        stop.set()
    for thread in others:
        thread.join()
    assert not plan.has_changes  # nothing half-applied
    assert conn.clients.calls.throttled > 0  # ECS did throttle us (the other tool took the tokens)...
    assert sum(throttling_sandbox.throttled().values()) > 0  # ...and botocore's adaptive retries absorbed it
    again = pipeline.plan(loader.load(m), conn, pipeline.PlanOptions(owner=OWNER))[0]
    assert not again.has_changes


def test_alone_in_the_account_the_limiter_is_never_throttled(throttling_sandbox: Any, tmp_path: Path) -> None:
    """At the default share (0.8) the requests the limiter lets go stay within ECS's buckets even when they
    reach AWS bunched up (a late request arriving just before the next one)."""
    m = [str(write(tmp_path / "m", services=20, clusters=3))]
    conn = pipeline.connect(AwsSettings(region=REGION, endpoint_url=throttling_sandbox.url, access_key="testing",
                                        secret_key="testing"))
    apply_all(conn, m)  # 20 registrations: 16 at once, then one every 1.25 s
    for _ in range(3):
        plan, _ = calls_of(conn, m)
        assert not plan.has_changes
    assert conn.clients.calls.throttled == 0
    assert conn.clients.limiter.waited.get("RegisterTaskDefinition", 0) > 3.0
