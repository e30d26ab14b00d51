"""What the sandbox refuses because ECS refuses it, with ECS's error code and wording (README, "What the
sandbox refuses"). In-process moto with the sandbox installed; the wire format is checked over HTTP in
test_limits.py and test_sandbox_server.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from reconciler.sandbox import install, reset_sandbox

REGION = "us-east-1"
FARGATE_SIZES = {  # the documented table, written out independently of the sandbox's own
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}
ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"


class Aws:
    def __init__(self, session: boto3.session.Session) -> None:
        config = Config(retries={"max_attempts": 1})
        self.ecs: Any = session.client("ecs", config=config)
        self.ec2: Any = session.client("ec2", config=config)
        self.elbv2: Any = session.client("elbv2", config=config)

    def fresh(self) -> Aws:
        reset_sandbox(None, seed=False)
        self.ecs.create_cluster(clusterName="c1")
        subnets = self.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        self.subnets = [s["SubnetId"] for s in subnets][:2]
        self.vpc = subnets[0]["VpcId"]
        return self

    def fargate(self, cpu: Any = "256", memory: Any = "512", **extra: Any) -> dict[str, Any]:
        container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
        container.update(extra.pop("container", {}))
        return {"family": "f", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": cpu,
                "memory": memory, "containerDefinitions": [container], **extra}

    def refused(self, call: Any, **kwargs: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as exc:
            call(**kwargs)
        error = exc.value.response["Error"]
        return error["Code"], error.get("Message", "")

    def service(self, name: str = "s", **extra: Any) -> dict[str, Any]:
        self.ecs.register_task_definition(family="ec2", containerDefinitions=[
            {"name": "app", "image": "nginx:1.27", "memory": 128, "portMappings": [{"containerPort": 80}]}])
        kwargs: dict[str, Any] = {"cluster": "c1", "serviceName": name, "taskDefinition": "ec2",
                                  "desiredCount": 0, "launchType": "EC2", **extra}
        found: dict[str, Any] = self.ecs.create_service(**kwargs)["service"]
        return found

    def target_group(self, *, with_load_balancer: bool) -> str:
        arn: str = self.elbv2.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=self.vpc,
                                                  TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        if with_load_balancer:
            lb = self.elbv2.create_load_balancer(Name="lb", Subnets=self.subnets)["LoadBalancers"][0]
            self.elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
        return arn


@pytest.fixture(scope="module")
def clients() -> Iterator[Aws]:
    """One moto for the module (entering mock_aws costs about a second), reset before each test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        install()
        with mock_aws():
            yield Aws(boto3.session.Session(region_name=REGION))


@pytest.fixture
def aws(clients: Aws) -> Aws:
    return clients.fresh()


# ------------------------------------------------------------------------------------ task definitions


def test_fargate_cpu_memory_outside_the_table_is_refused_with_ecs_wording(aws: Aws) -> None:
    """ECS: "No Fargate configuration exists for given values: 256 CPU, 8192 memory. See the Amazon ECS
    documentation for the valid values." (ClientException)."""
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate("256", "8192"))
    assert code == "ClientException"
    assert message == ("No Fargate configuration exists for given values: 256 CPU, 8192 memory. "
                       "See the Amazon ECS documentation for the valid values.")


@pytest.mark.parametrize(("cpu", "memory"), [
    ("512", "512"), ("1024", "1024"), ("1024", "9216"), ("2048", "3072"), ("4096", "31744"), ("8192", "17408"),
    ("16384", "36864"), ("300", "1024"), ("32768", "65536"),
])
def test_other_fargate_sizes_outside_the_table_are_refused(aws: Aws, cpu: str, memory: str) -> None:
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate(cpu, memory))
    assert code == "ClientException"
    assert message.startswith(f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory.")


def test_every_documented_fargate_size_is_accepted(aws: Aws) -> None:
    for cpu, memories in FARGATE_SIZES.items():
        for memory in memories:
            registered = aws.ecs.register_task_definition(**aws.fargate(str(cpu), str(memory)))["taskDefinition"]
            assert (registered["cpu"], registered["memory"]) == (str(cpu), str(memory))


def test_fargate_sizes_in_vcpu_and_gb_units_are_accepted_and_checked(aws: Aws) -> None:
    aws.ecs.register_task_definition(**aws.fargate("1 vCPU", "2 GB"))
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate("1 vCPU", "1 GB"))
    assert code == "ClientException" and "1024 CPU, 1024 memory" in message


def test_unreadable_task_cpu_or_memory_is_refused(aws: Aws) -> None:
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate("lots", "512"))
    assert (code, message) == ("ClientException", "Invalid 'cpu' setting for task.")
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate("256", "half a gig"))
    assert (code, message) == ("ClientException", "Invalid 'memory' setting for task.")


def test_empty_container_definitions_are_refused(aws: Aws) -> None:
    code, message = aws.refused(aws.ecs.register_task_definition, family="f", containerDefinitions=[])
    assert (code, message) == ("ClientException", "Container list cannot be empty.")


def test_fargate_awslogs_needs_an_execution_role(aws: Aws) -> None:
    logs = {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}}
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate(container=logs))
    assert (code, message) == (
        "ClientException", "Fargate requires task definition to have execution role ARN to support log driver awslogs.")
    aws.ecs.register_task_definition(**aws.fargate(container=logs, executionRoleArn=ROLE))


def test_fargate_private_ecr_image_needs_an_execution_role(aws: Aws) -> None:
    ecr = {"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"}
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate(container=ecr))
    assert (code, message) == (
        "ClientException", "Fargate requires task definition to have execution role ARN to support ECR images.")
    aws.ecs.register_task_definition(**aws.fargate(container=ecr, executionRoleArn=ROLE))
    aws.ecs.register_task_definition(**aws.fargate(container={"image": "public.ecr.aws/nginx/nginx:1.27"}))


@pytest.mark.parametrize("mode", ["awsvpc", "host"])
def test_host_port_must_match_container_port_in_awsvpc_and_host_mode(aws: Aws, mode: str) -> None:
    definition = {"family": "p", "networkMode": mode, "containerDefinitions": [
        {"name": "app", "image": "nginx", "memory": 128, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]}
    code, message = aws.refused(aws.ecs.register_task_definition, **definition)
    assert (code, message) == (
        "ClientException", f"When networkMode={mode}, the host ports and container ports in port mappings must match.")
    definition["containerDefinitions"][0]["portMappings"] = [{"containerPort": 80, "hostPort": 80}]
    aws.ecs.register_task_definition(**definition)


def test_bridge_mode_may_map_any_host_port(aws: Aws) -> None:
    aws.ecs.register_task_definition(family="b", networkMode="bridge", containerDefinitions=[
        {"name": "app", "image": "nginx", "memory": 128, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}])


def test_container_memory_above_the_task_memory_is_refused(aws: Aws) -> None:
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate(container={"memory": 1024}))
    assert (code, message) == ("ClientException",
                               "The 'memory' setting for container 'app' is greater than for the task.")
    aws.ecs.register_task_definition(**aws.fargate(container={"memory": 512}))


def test_fargate_without_awsvpc_or_task_size_is_refused(aws: Aws) -> None:
    code, message = aws.refused(aws.ecs.register_task_definition, **aws.fargate(networkMode="bridge"))
    assert (code, message) == ("ClientException", "Fargate only supports network mode \u2018awsvpc\u2019.")
    no_cpu = aws.fargate()
    del no_cpu["cpu"]
    code, message = aws.refused(aws.ecs.register_task_definition, **no_cpu)
    assert (code, message) == ("ClientException", "Fargate requires that 'cpu' be defined at the task level.")


# ------------------------------------------------------------------------------------------ services


def test_negative_desired_count_is_refused_on_create_and_update(aws: Aws) -> None:
    code, _ = aws.refused(aws.service, desiredCount=-1)
    assert code == "InvalidParameterException"
    aws.service()
    code, _ = aws.refused(aws.ecs.update_service, cluster="c1", service="s", desiredCount=-1)
    assert code == "InvalidParameterException"
    assert aws.ecs.describe_services(cluster="c1", services=["s"])["services"][0]["desiredCount"] == 0


@pytest.mark.parametrize("count", [2**31, 2**32, -(2**31) - 1])
def test_numbers_beyond_32_bits_are_refused_before_anything_else(aws: Aws, count: int) -> None:
    """AWS's JSON services answer SerializationException when a number does not fit the API's Integer."""
    code, message = aws.refused(aws.service, desiredCount=count)
    assert (code, message) == ("SerializationException", "")
    assert aws.ecs.list_services(cluster="c1")["serviceArns"] == []


def test_the_largest_32_bit_number_fits(aws: Aws) -> None:
    """healthCheckGracePeriodSeconds goes up to 2,147,483,647 (AWS docs); one more does not fit."""
    code, _ = aws.refused(aws.service, healthCheckGracePeriodSeconds=2**31)
    assert code == "SerializationException"
    found = aws.service(healthCheckGracePeriodSeconds=2**31 - 1)
    assert found["healthCheckGracePeriodSeconds"] == 2**31 - 1


def test_load_balancer_target_group_must_exist(aws: Aws) -> None:
    missing = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"
    balancers = [{"targetGroupArn": missing, "containerName": "app", "containerPort": 80}]
    code, message = aws.refused(aws.service, loadBalancers=balancers)
    assert (code, message) == ("InvalidParameterException",
                               "Unable to assume role and validate the specified targetGroupArn. Please verify that "
                               "the ECS service role being passed has the proper permissions.")


def test_load_balancer_target_group_needs_a_load_balancer(aws: Aws) -> None:
    arn = aws.target_group(with_load_balancer=False)
    balancers = [{"targetGroupArn": arn, "containerName": "app", "containerPort": 80}]
    code, message = aws.refused(aws.service, loadBalancers=balancers)
    assert (code, message) == ("InvalidParameterException",
                               f"The target group with targetGroupArn {arn} does not have an associated load balancer.")


def test_a_target_group_behind_a_load_balancer_is_accepted_on_create_and_update(aws: Aws) -> None:
    arn = aws.target_group(with_load_balancer=True)
    balancers = [{"targetGroupArn": arn, "containerName": "app", "containerPort": 80}]
    assert aws.service(loadBalancers=balancers)["loadBalancers"] == balancers
    missing = [{**balancers[0], "targetGroupArn": arn.replace("/tg/", "/gone/")}]
    code, _ = aws.refused(aws.ecs.update_service, cluster="c1", service="s", loadBalancers=missing)
    assert code == "InvalidParameterException"


# ----------------------------------------------------------------------------- what ECS registers instead


def test_task_cpu_and_memory_in_units_are_registered_as_integers(aws: Aws) -> None:
    """ECS converts "1 vCPU" / "2 GB" to "1024" / "2048" when it registers the task definition."""
    registered = aws.ecs.register_task_definition(**aws.fargate("1 vCPU", "2 GB"))["taskDefinition"]
    assert (registered["cpu"], registered["memory"]) == ("1024", "2048")
    described = aws.ecs.describe_task_definition(taskDefinition="f")["taskDefinition"]
    assert (described["cpu"], described["memory"]) == ("1024", "2048")


def test_an_ec2_task_with_task_memory_in_gb_runs(aws: Aws) -> None:
    """Task-level memory "1 GB" (containers without memory) is placed on a container instance like 1024 MiB."""
    aws.ecs.register_task_definition(family="gb", requiresCompatibilities=["EC2"], memory="1 GB",
                                     containerDefinitions=[{"name": "app", "image": "nginx:1.27"}])
    instance = aws.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    aws.ecs.register_container_instance(
        cluster="c1", instanceIdentityDocument=f'{{"instanceId": "{instance}", "region": "{REGION}"}}')
    tasks = aws.ecs.run_task(cluster="c1", taskDefinition="gb", launchType="EC2")["tasks"]
    assert len(tasks) == 1 and tasks[0]["memory"] == "1024"
