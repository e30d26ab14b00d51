"""The Sandbox server (ThreadedMotoServer on 127.0.0.1), its seed data and reset.

Each test owns its moto: a Sandbox or a ``mock_aws()`` block, never both at once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox import Sandbox, install_ecs_fixes, reset_sandbox
from reconciler.sandbox.seed import seed_sandbox

REGION = "us-east-1"
ROLE = "ecsTaskExecutionRole"
EXEC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)


def client(name: str, endpoint_url: str | None) -> Any:
    config = Config(retries={"max_attempts": 1})
    return boto3.client(name, region_name=REGION, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]


def assert_seeded(endpoint_url: str | None, *, policy_attached: bool) -> None:
    ec2 = client("ec2", endpoint_url)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    vpc_id = vpcs[0]["VpcId"]
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is True
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]

    iam = client("iam", endpoint_url)
    role = iam.get_role(RoleName=ROLE)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]]
    assert attached == ([EXEC_POLICY_ARN] if policy_attached else [])


def test_sandbox_listens_on_loopback_seeds_and_resets() -> None:
    """The sandbox serves moto with the ECS fixes on 127.0.0.1, seeded like a fresh AWS account."""
    before = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    with Sandbox(port=0) as sandbox:
        host, port = sandbox.address
        assert host == "127.0.0.1"
        assert port != 0
        assert sandbox.url == f"http://127.0.0.1:{port}"
        assert_seeded(sandbox.url, policy_attached=True)

        ecs = client("ecs", sandbox.url)
        ecs.create_cluster(clusterName="c1")
        with pytest.raises(ecs.exceptions.InvalidParameterException):  # fixes are installed
            ecs.describe_services(cluster="c1", services=[f"s{i}" for i in range(11)])

        reset_sandbox(sandbox.url)
        assert ecs.list_clusters()["clusterArns"] == []
        assert_seeded(sandbox.url, policy_attached=True)
    assert not sandbox.running
    assert os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES") == before


def test_sandbox_refuses_to_start_when_configured_endpoints_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true SDK calls could reach real AWS, so start() refuses."""
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    sandbox = Sandbox()
    with pytest.raises(RuntimeError, match="AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        sandbox.start()
    assert not sandbox.running


def test_seed_in_process_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeding twice in-process gives one default VPC with DNS hostnames and one role with the policy."""
    with mock_aws():
        # Set only inside the mock: entering and leaving mock_aws rebuilds IAM, slowly when this is on.
        monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        seed_sandbox(None, REGION)
        seed_sandbox(None, REGION)
        assert_seeded(None, policy_attached=True)
        monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES")


def test_seed_without_managed_policies_creates_role_without_policy(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without moto's AWS-managed policies the role is still created; the missing attachment is logged."""
    monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES", raising=False)
    with mock_aws(), caplog.at_level(logging.WARNING, logger="reconciler.sandbox.seed"):
        seed_sandbox(None, REGION)
        assert_seeded(None, policy_attached=False)
    assert "AmazonECSTaskExecutionRolePolicy" in caplog.text


def test_sandbox_refuses_a_busy_port() -> None:
    """A port that is already taken gives a clear error instead of a hang."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(RuntimeError, match="cannot start the sandbox"):
            Sandbox(port=port).start()


def test_install_ecs_fixes_is_idempotent() -> None:
    """Installing the fixes again does not wrap moto's methods a second time."""
    install_ecs_fixes()
    before = (EC2ContainerServiceBackend.create_service, EC2ContainerServiceResponse.list_services)
    install_ecs_fixes()
    install_ecs_fixes()
    assert (EC2ContainerServiceBackend.create_service, EC2ContainerServiceResponse.list_services) == before


def test_seed_creates_the_documented_network_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's subnets and security group have the fixed IDs the example manifests use."""
    import boto3
    from moto import mock_aws

    from reconciler.sandbox.seed import SANDBOX_SECURITY_GROUP, SANDBOX_SUBNETS, seed_sandbox

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        seed_sandbox(None, "us-east-1")
        seed_sandbox(None, "us-east-1")  # idempotent
        ec2 = boto3.client("ec2", region_name="us-east-1")
        ids = [s[0] for s in SANDBOX_SUBNETS]
        assert sorted(s["SubnetId"] for s in ec2.describe_subnets(SubnetIds=ids)["Subnets"]) == ids
        [group] = ec2.describe_security_groups(GroupIds=[SANDBOX_SECURITY_GROUP])["SecurityGroups"]
        assert group["IpPermissions"][0]["FromPort"] == 80
