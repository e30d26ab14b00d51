"""Seed a fresh sandbox with what ECS users expect to find in an AWS account.

* The default VPC (moto creates it, with default subnets) with DNS support and DNS hostnames enabled.
  moto's awsvpc ``run_task`` crashes in a VPC without DNS hostnames (moto-notes 1.8).
* Two subnets and a security group with fixed, documented IDs (``SANDBOX_SUBNETS``,
  ``SANDBOX_SECURITY_GROUP``), so that manifests (the shipped examples included) can name them without
  looking anything up. moto draws EC2 IDs at random; the seed fixes them while it creates these.
* The public SSM parameters of the ECS-optimised AMIs (moto serves them; the seed reads the recommended ones, so
  `resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id` resolves from the start).
* The IAM role ``ecsTaskExecutionRole`` (trusting ecs-tasks.amazonaws.com) with the AWS-managed policy
  ``AmazonECSTaskExecutionRolePolicy`` attached. moto only knows AWS-managed policies when
  ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` was set before its IAM backend loaded (``Sandbox`` does that).
  Without it the role is created without the attachment and a warning is logged.

Everything is idempotent: seeding twice changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

__all__ = [
    "SANDBOX_SECURITY_GROUP",
    "SANDBOX_SUBNETS",
    "TASK_EXECUTION_POLICY_ARN",
    "TASK_EXECUTION_ROLE_NAME",
    "seed_sandbox",
]

log = logging.getLogger(__name__)

TASK_EXECUTION_ROLE_NAME = "ecsTaskExecutionRole"
TASK_EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"

# Fixed IDs of the network the seed creates in the default VPC (AZ a and b, and a web security group).
SANDBOX_SUBNETS: tuple[tuple[str, str, str], ...] = (
    ("subnet-0a0a0a0a0a0a0a0a1", "172.31.96.0/20", "a"),
    ("subnet-0a0a0a0a0a0a0a0a2", "172.31.112.0/20", "b"),
)
SANDBOX_SECURITY_GROUP = "sg-0a0a0a0a0a0a0a0a1"

_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# The sandbox never needs real credentials. Fixed dummy ones mean that a mistake in endpoint handling can
# never act on a real account with the user's credentials.
_DUMMY_KEY_ID = "testing"
_DUMMY_SECRET = "testing"


# A boto3 session loads botocore's (large) service models once; a fresh session per seed costs ~0.3 s per
# client. Sessions are not thread-safe, so client creation is serialised; the clients themselves are.
_sessions: dict[str, boto3.session.Session] = {}
_sessions_lock = threading.Lock()


def _client(service: str, endpoint_url: str | None, region: str) -> Any:
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    with _sessions_lock:
        session = _sessions.get(region)
        if session is None:
            session = boto3.session.Session(
                aws_access_key_id=_DUMMY_KEY_ID, aws_secret_access_key=_DUMMY_SECRET, region_name=region
            )
            _sessions[region] = session
        return session.client(service, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]


def _seed_default_vpc(ec2: Any) -> None:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        vpcs = [ec2.create_default_vpc()["Vpc"]]
    for vpc in vpcs:
        vpc_id = vpc["VpcId"]
        # One attribute per call (an EC2 API rule).
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})


@contextlib.contextmanager
def _fixed_id(module: str, function: str, value: str) -> Iterator[None]:
    """Make moto's ID generator `module.function` return `value` while a resource is created.

    This only reaches a moto running in this process (the Sandbox and mock_aws both do); against another
    process the resource gets a random ID and a warning says so."""
    import importlib

    target = importlib.import_module(module)
    with _id_lock:
        original = getattr(target, function)
        setattr(target, function, lambda: value)
        try:
            yield
        finally:
            setattr(target, function, original)


_id_lock = threading.Lock()


def _seed_network(ec2: Any, region: str) -> None:
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    for subnet_id, cidr, zone in SANDBOX_SUBNETS:
        if ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"]:
            continue
        with _fixed_id("moto.ec2.models.subnets", "random_subnet_id", subnet_id):
            made = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{region}{zone}")
        if made["Subnet"]["SubnetId"] != subnet_id:
            log.warning("sandbox seed: subnet %s got the random ID %s", subnet_id, made["Subnet"]["SubnetId"])
    found = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [SANDBOX_SECURITY_GROUP]}])
    if found["SecurityGroups"]:
        return
    with _fixed_id("moto.ec2.models.security_groups", "random_security_group_id", SANDBOX_SECURITY_GROUP):
        group = ec2.create_security_group(GroupName="sandbox-web", VpcId=vpc_id,
                                          Description="HTTP from anywhere (sandbox seed)")
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _seed_task_execution_role(iam: Any) -> None:
    try:
        iam.get_role(RoleName=TASK_EXECUTION_ROLE_NAME)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        iam.create_role(
            RoleName=TASK_EXECUTION_ROLE_NAME,
            AssumeRolePolicyDocument=json.dumps(_TRUST_POLICY),
            Description="Allows ECS tasks to pull images and write logs (sandbox seed).",
        )
    attached = iam.list_attached_role_policies(RoleName=TASK_EXECUTION_ROLE_NAME)["AttachedPolicies"]
    if any(p["PolicyArn"] == TASK_EXECUTION_POLICY_ARN for p in attached):
        return
    try:
        iam.attach_role_policy(RoleName=TASK_EXECUTION_ROLE_NAME, PolicyArn=TASK_EXECUTION_POLICY_ARN)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
        log.warning(
            "sandbox seed: %s was created without %s: moto did not load AWS-managed policies "
            "(set MOTO_IAM_LOAD_MANAGED_POLICIES=true before moto's IAM backend first loads)",
            TASK_EXECUTION_ROLE_NAME,
            TASK_EXECUTION_POLICY_ARN,
        )


def _seed_ecs_amis(ssm: Any) -> None:
    from reconciler.sandbox.ssm import ECS_AMI_PARAMETERS

    for name in ECS_AMI_PARAMETERS:
        try:
            ssm.get_parameter(Name=name)
        except ClientError as exc:  # (a region moto has no AMI list for)
            log.warning("sandbox seed: %s is not served here: %s", name, exc.response["Error"]["Code"])


def seed_sandbox(endpoint_url: str | None, region: str) -> None:
    """Create the default resources in the moto at ``endpoint_url``.

    With ``endpoint_url=None`` the calls are made in-process and must run inside ``moto.mock_aws()``.
    """
    ec2 = _client("ec2", endpoint_url, region)
    _seed_default_vpc(ec2)
    _seed_network(ec2, region)
    _seed_task_execution_role(_client("iam", endpoint_url, region))
    _seed_ecs_amis(_client("ssm", endpoint_url, region))
