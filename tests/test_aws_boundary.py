"""The AWS boundary: transient errors are retried by botocore, AWS errors are translated, and reads
respect AWS's batch limits (the sandbox refuses more than 10 names per DescribeServices, as AWS does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from reconciler import loader, pipeline
from reconciler.errors import AwsError

CLUSTER = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: many\nspec: {}\n"
TASKDEF = ("apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n  name: app\nspec:\n"
           "  containerDefinitions:\n    - {name: app, image: nginx, memory: 64}\n")


class Throttle:
    """Answer the first `times` calls with a ThrottlingException, then let moto answer."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.sent = 0

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        self.sent += 1
        if self.left <= 0:
            return None
        self.left -= 1
        body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self.body


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep retries fast: botocore's backoff sleeps are not what is under test."""
    import botocore.retries.adaptive as adaptive
    import botocore.retries.standard as standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(adaptive.ClientRateLimiter, "on_sending_request", lambda self, request, **kw: None)


def test_throttling_is_retried(aws: Any) -> None:
    """Two throttled DescribeClusters calls, then success: the plan is made."""
    throttle = Throttle(2)
    aws.clients.ecs.meta.events.register_first("before-send.ecs.DescribeClusters", throttle)
    found = aws.ecs.describe_clusters(["nope"])
    assert found == {} and throttle.sent == 3


def test_persistent_throttling_becomes_an_aws_error(aws: Any) -> None:
    """Throttled beyond the retry budget: a clear AwsError, not a traceback."""
    aws.clients.ecs.meta.events.register_first("before-send.ecs.DescribeClusters", Throttle(100))
    with pytest.raises(AwsError) as info:
        aws.ecs.describe_clusters(["x"])
    assert info.value.code == "ThrottlingException" and "DescribeClusters" in str(info.value)


def test_more_than_ten_services_are_read_in_batches(aws: Any, tmp_path: Path) -> None:
    """25 services in one cluster: DescribeServices is called in batches of at most 10, and converges."""
    docs = [CLUSTER, TASKDEF]
    for i in range(25):
        docs.append(f"apiVersion: reconciler/v1\nkind: Service\nmetadata:\n  name: svc-{i:02d}\nspec:\n"
                    f"  cluster: many\n  taskDefinition: app\n  desiredCount: 1\n  launchType: EC2\n")
    (tmp_path / "all.yaml").write_text("---\n".join(docs))
    manifests = loader.load([str(tmp_path)])
    calls: list[int] = []
    aws.clients.ecs.meta.events.register(
        "provide-client-params.ecs.DescribeServices", lambda params, **_: calls.append(len(params["services"])))
    plan, live = pipeline.plan(manifests, aws, pipeline.PlanOptions())
    assert pipeline.apply(plan, live, manifests, aws, "reconciler").result.ok
    calls.clear()
    after, _ = pipeline.plan(manifests, aws, pipeline.PlanOptions())
    assert not after.has_changes
    assert calls == [10, 10, 5]


def test_region_from_aws_region_or_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_REGION alone is enough (botocore itself only reads AWS_DEFAULT_REGION); no region at all is a
    clear error rather than a silent default."""
    from reconciler.aws.clients import AwsSettings, make_clients
    from reconciler.errors import ReconcilerError

    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert make_clients(AwsSettings()).region == "eu-west-1"
    assert make_clients(AwsSettings(region="ap-south-1")).region == "ap-south-1"
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(ReconcilerError, match="no AWS region"):
        make_clients(AwsSettings())


def test_every_call_is_counted_by_operation(aws) -> None:
    """The call log counts each operation once (retries are attempts, not calls), for every client of the
    connection, the extra ones too (what `plan -v` and the controller's last pass report)."""
    before, attempts = aws.clients.calls.snapshot()
    aws.ecs.describe_clusters(["demo"])
    aws.ecs.list_clusters()
    aws.clients.client("iam").list_roles()
    after, attempts_after = aws.clients.calls.snapshot()
    assert after - before == {"ecs.DescribeClusters": 1, "ecs.ListClusters": 1, "iam.ListRoles": 1}
    assert attempts_after - attempts == 3


def test_extra_clients_count_their_mutations_but_the_lock_table_does_not(aws) -> None:
    """Writes through an extra client (IAM, EC2...) are the product's writes; the lock table's are not."""
    aws.clients.mutations.calls.clear()
    aws.clients.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    aws.clients.client("dynamodb").create_table(
        TableName="t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert aws.clients.mutations.calls == ["iam.CreateRole"]
