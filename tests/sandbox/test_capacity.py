"""The sandbox's EC2 capacity: the ECS agent's stand-in, placement by CPU, memory and ports, and what EC2 launch
templates, Auto Scaling groups and capacity providers refuse or report as AWS does. In-process (moto + every fix,
the scheduler at a fast pace); each wait polls with a deadline."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from reconciler.sandbox import get_pace, install_ecs_fixes, seed_sandbox, set_pace
from reconciler.sandbox.scheduler.agent import registered_resources

REGION = "us-east-1"
SUBNETS = "subnet-0a0a0a0a0a0a0a0a1,subnet-0a0a0a0a0a0a0a0a2"
USER_DATA = base64.b64encode(b"#!/bin/bash\necho ECS_CLUSTER=c1 >> /etc/ecs/ecs.config\n").decode()
T = TypeVar("T")


class Aws:
    def __init__(self) -> None:
        session = boto3.session.Session(region_name=REGION)
        config = Config(retries={"max_attempts": 1})
        self.ecs: Any = session.client("ecs", config=config)
        self.ec2: Any = session.client("ec2", config=config)
        self.asg: Any = session.client("autoscaling", config=config)
        self.iam: Any = session.client("iam", config=config)

    def profile(self, name: str = "p") -> None:
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
        self.iam.create_instance_profile(InstanceProfileName=name)
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)

    def template(self, name: str = "tpl", instance_type: str = "t3.small", profile: str | None = "p",
                 user_data: str = USER_DATA) -> None:
        data: dict[str, Any] = {"ImageId": "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/"
                                           "image_id", "InstanceType": instance_type, "UserData": user_data}
        if profile:
            data["IamInstanceProfile"] = {"Name": profile}
        self.ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)

    def group(self, name: str = "g", size: int = 2, template: str = "tpl", **kwargs: Any) -> None:
        self.asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate={
            "LaunchTemplateName": template, "Version": "$Default"}, MinSize=kwargs.pop("MinSize", 0), MaxSize=4,
            DesiredCapacity=size, VPCZoneIdentifier=SUBNETS, **kwargs)

    def members(self, cluster: str = "c1") -> list[dict[str, Any]]:
        arns = self.ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
        return self.ecs.describe_container_instances(cluster=cluster, containerInstances=arns)[
            "containerInstances"] if arns else []

    def instances(self, group: str = "g") -> list[dict[str, Any]]:
        return list(self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0][
            "Instances"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    install_ecs_fixes()
    pace = get_pace()
    set_pace(0.02)
    try:
        with mock_aws():
            seed_sandbox(None, REGION)
            yield Aws()
    finally:
        set_pace(pace)


def until(what: str, check: Callable[[], T | None], seconds: float = 20.0) -> T:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def code(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


# --- the agent ------------------------------------------------------------------------------------------------------

def test_instances_register_with_their_cluster_a_few_steps_after_launch(aws: Aws) -> None:
    """An instance of the group with ECS_CLUSTER in its user data and an instance profile joins that cluster as an
    ACTIVE container instance with its type's resources and attributes; the AMI is the one SSM resolved."""
    aws.ecs.create_cluster(clusterName="c1")
    aws.profile()
    aws.template()
    aws.group()
    assert aws.members() == [] or len(aws.members()) < 2  # not at once: the agent takes a few steps
    members = until("2 container instances", lambda: (m := aws.members()) and len(m) == 2 and m)
    cpu, memory, _ = registered_resources("t3.small")
    assert (cpu, memory) == (2048, 1996)
    ami = boto3.client("ssm", region_name=REGION).get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")["Parameter"]["Value"]
    for member in members:
        resources = {r["name"]: r.get("integerValue") for r in member["registeredResources"]}
        attributes = {a["name"]: a.get("value") for a in member["attributes"]}
        assert (member["status"], member["agentConnected"]) == ("ACTIVE", True)
        assert (resources["CPU"], resources["MEMORY"]) == (2048, 1996)
        assert attributes["ecs.instance-type"] == "t3.small" and attributes["ecs.ami-id"] == ami
        assert attributes["ecs.cpu-architecture"] == "x86_64"
    assert aws.ecs.describe_clusters(clusters=["c1"])["clusters"][0]["registeredContainerInstancesCount"] == 2


def test_an_instance_without_an_instance_profile_never_joins(aws: Aws) -> None:
    """The agent has no credentials without an instance profile: the instances run, the cluster stays empty."""
    aws.ecs.create_cluster(clusterName="c1")
    aws.template(profile=None)
    aws.group(size=1)
    time.sleep(0.3)  # fifteen steps at least
    assert aws.members() == []


def test_an_instance_that_terminates_deregisters_and_its_tasks_stop(aws: Aws) -> None:
    """Terminating the EC2 instance under a task: the container instance leaves the cluster, the task stops with
    TerminationNotice, and the service starts a replacement on the other instance."""
    aws.ecs.create_cluster(clusterName="c1")
    aws.profile()
    aws.template()
    aws.group(size=2)
    until("2 container instances", lambda: len(aws.members()) == 2)
    aws.ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 256, "portMappings": [{"containerPort": 80, "hostPort": 0}]}])
    aws.ecs.create_service(cluster="c1", serviceName="web", taskDefinition="web", desiredCount=2, launchType="EC2")
    until("2 running", lambda: aws.ecs.describe_services(cluster="c1", services=["web"])["services"][0][
        "runningCount"] == 2)
    victim = aws.instances()[0]["InstanceId"]
    aws.ec2.terminate_instances(InstanceIds=[victim])
    until("deregistered", lambda: victim not in {m["ec2InstanceId"] for m in aws.members()})
    stopped = until("a stopped task", lambda: aws.ecs.list_tasks(cluster="c1", desiredStatus="STOPPED")["taskArns"])
    [task] = aws.ecs.describe_tasks(cluster="c1", tasks=stopped)["tasks"]
    assert task["stopCode"] == "TerminationNotice" and victim in task["stoppedReason"]
    until("2 running again", lambda: aws.ecs.describe_services(cluster="c1", services=["web"])["services"][0][
        "runningCount"] == 2)


# --- placement ------------------------------------------------------------------------------------------------------

def test_static_host_ports_memory_and_the_capacity_provider_decide_where_tasks_go(aws: Aws) -> None:
    """Bridge tasks on static host port 80: one per instance, the third cannot be placed (ECS's event names the
    port); dynamic ports (hostPort 0) fit several per instance; a task too big for any instance is refused on
    memory. A service on a capacity provider is placed only on that provider's instances."""
    aws.ecs.create_cluster(clusterName="c1")
    aws.profile()
    aws.template()
    aws.group(size=2)
    aws.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": "g"})
    aws.ecs.put_cluster_capacity_providers(cluster="c1", capacityProviders=["cp"], defaultCapacityProviderStrategy=[])
    until("2 container instances", lambda: len(aws.members()) == 2)

    def service(name: str, count: int, memory: int, host_port: int, **kwargs: Any) -> Callable[[], dict[str, Any]]:
        aws.ecs.register_task_definition(family=name, containerDefinitions=[
            {"name": name, "image": "nginx", "memory": memory,
             "portMappings": [{"containerPort": 80, "hostPort": host_port}]}])
        aws.ecs.create_service(cluster="c1", serviceName=name, taskDefinition=name, desiredCount=count, **kwargs)
        return lambda: aws.ecs.describe_services(cluster="c1", services=[name])["services"][0]

    static = service("static", 3, 64, 80, launchType="EC2")
    until("2 static running", lambda: static()["runningCount"] == 2)
    assert any("is already using a port required by your task" in e["message"] for e in static()["events"])
    dynamic = service("dynamic", 4, 64, 0, capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    until("4 dynamic running", lambda: dynamic()["runningCount"] == 4)
    big = service("big", 1, 4000, 0, launchType="EC2")
    until("refused", lambda: any("has insufficient memory available" in e["message"] for e in big()["events"]))
    assert {m.get("capacityProviderName") for m in aws.members()} == {"cp"}


# --- EC2 launch templates -------------------------------------------------------------------------------------------

def test_launch_template_versions_as_ec2_keeps_them(aws: Aws) -> None:
    """The template's own tags stay off its data, and tags added later show; a version created with a ClientToken
    twice is one version; deleting versions never deletes the default and never reuses a number; $Latest is the
    newest left."""
    aws.ec2.create_launch_template(LaunchTemplateName="tpl", LaunchTemplateData={"InstanceType": "t3.small"},
                                   TagSpecifications=[{"ResourceType": "launch-template",
                                                       "Tags": [{"Key": "team", "Value": "a"}]}])
    [v1] = aws.ec2.describe_launch_template_versions(LaunchTemplateName="tpl")["LaunchTemplateVersions"]
    assert v1["LaunchTemplateData"] == {"InstanceType": "t3.small"}
    aws.ec2.create_tags(Resources=[v1["LaunchTemplateId"]], Tags=[{"Key": "owner", "Value": "me"}])
    [template] = aws.ec2.describe_launch_templates(LaunchTemplateNames=["tpl"])["LaunchTemplates"]
    assert sorted((t["Key"], t["Value"]) for t in template["Tags"]) == [("owner", "me"), ("team", "a")]
    made = [aws.ec2.create_launch_template_version(LaunchTemplateName="tpl", ClientToken="same", LaunchTemplateData={
        "InstanceType": "t3.medium", "UserData": USER_DATA})["LaunchTemplateVersion"]["VersionNumber"] for _ in "ab"]
    assert made == [2, 2]
    aws.ec2.create_launch_template_version(LaunchTemplateName="tpl", LaunchTemplateData={"InstanceType": "t3.large"})
    out = aws.ec2.delete_launch_template_versions(LaunchTemplateName="tpl", Versions=["1", "3", "7"])
    assert [v["VersionNumber"] for v in out["SuccessfullyDeletedLaunchTemplateVersions"]] == [3]
    assert {v["VersionNumber"]: v["ResponseError"]["Code"] for v in out["UnsuccessfullyDeletedLaunchTemplateVersions"]
            } == {1: "unexpectedError", 7: "launchTemplateVersionDoesNotExist"}
    made = aws.ec2.create_launch_template_version(LaunchTemplateName="tpl", LaunchTemplateData={"InstanceType": "m5"})
    assert made["LaunchTemplateVersion"]["VersionNumber"] == 4
    pages = aws.ec2.get_paginator("describe_launch_template_versions").paginate(LaunchTemplateName="tpl",
                                                                              PaginationConfig={"PageSize": 1})
    assert [v["VersionNumber"] for p in pages for v in p["LaunchTemplateVersions"]] == [1, 2, 4]
    [latest] = aws.ec2.describe_launch_template_versions(LaunchTemplateName="tpl", Versions=["$Latest"])[
        "LaunchTemplateVersions"]
    assert latest["VersionNumber"] == 4


# --- Auto Scaling ---------------------------------------------------------------------------------------------------

def test_auto_scaling_refuses_what_aws_refuses(aws: Aws) -> None:
    """Sizes out of order, a second group of a name, a decrement below MinSize, deleting a group with instances:
    refused with Auto Scaling's codes and wording."""
    aws.template(profile=None)
    with pytest.raises(ClientError) as info:
        aws.group(MinSize=3)  # MaxSize 4, desired 2
    assert code(info) == ("ValidationError", "Desired capacity:2 must be between the specified min size:3 and max "
                                             "size:4")
    with pytest.raises(ClientError) as info:
        aws.asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "tpl"},
                                          MinSize=5, MaxSize=1, VPCZoneIdentifier=SUBNETS)
    assert code(info) == ("ValidationError", "Max bound, 1, must be greater than or equal to min bound, 5")
    aws.group(MinSize=2)
    with pytest.raises(ClientError) as info:
        aws.group(MinSize=2)
    assert code(info)[0] == "AlreadyExists"
    first = aws.instances()[0]["InstanceId"]
    with pytest.raises(ClientError) as info:
        aws.asg.terminate_instance_in_auto_scaling_group(InstanceId=first, ShouldDecrementDesiredCapacity=True)
    assert code(info)[0] == "ValidationError" and "violate group's min size constraint" in code(info)[1]
    with pytest.raises(ClientError) as info:
        aws.asg.delete_auto_scaling_group(AutoScalingGroupName="g")
    assert code(info)[0] == "ResourceInUse"
    aws.asg.delete_auto_scaling_group(AutoScalingGroupName="g", ForceDelete=True)
    assert aws.asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"] == []


def test_each_instance_reports_the_version_it_was_launched_from_spread_over_the_subnets(aws: Aws) -> None:
    """After a new default version, the old instances still report version 1 (stock moto reports the new default
    for all); instances spread over the group's subnets; propagated tags and the template's profile are on them."""
    aws.profile()
    aws.template()
    aws.group(size=2, Tags=[{"Key": "Name", "Value": "n", "PropagateAtLaunch": True}])
    aws.ec2.create_launch_template_version(LaunchTemplateName="tpl", LaunchTemplateData={
        "ImageId": "ami-12345678", "InstanceType": "t3.medium", "UserData": USER_DATA,
        "IamInstanceProfile": {"Name": "p"}})
    aws.ec2.modify_launch_template(LaunchTemplateName="tpl", DefaultVersion="2")
    aws.asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=3)
    versions = sorted((i["LaunchTemplate"]["Version"], i["InstanceType"]) for i in aws.instances())
    assert versions == [("1", "t3.small"), ("1", "t3.small"), ("2", "t3.medium")]
    described = [i for r in aws.ec2.describe_instances(InstanceIds=[i["InstanceId"] for i in aws.instances()])[
        "Reservations"] for i in r["Instances"]]
    assert {i["SubnetId"] for i in described} == set(SUBNETS.split(","))
    assert all({"Key": "Name", "Value": "n"} in i["Tags"] for i in described)
    assert all(i["IamInstanceProfile"]["Arn"].endswith(":instance-profile/p") for i in described)


# --- capacity providers ---------------------------------------------------------------------------------------------

def test_capacity_providers_refuse_and_report_as_ecs_does(aws: Aws) -> None:
    """A provider over a group named by name reports the group's ARN; a missing group, a second provider of a name,
    managed termination protection without the group's scale-in protection, a cluster with an unknown provider and
    deleting a provider a cluster has are refused; DescribeCapacityProviders without names lists them in pages."""
    aws.template(profile=None)
    aws.group(size=0)
    made = aws.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": "g"})
    group_arn = aws.asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0][
        "AutoScalingGroupARN"]
    assert made["capacityProvider"]["autoScalingGroupProvider"]["autoScalingGroupArn"] == group_arn
    for kwargs, expected in [
        ({"name": "cp2", "autoScalingGroupProvider": {"autoScalingGroupArn": "missing"}}, "ClientException"),
        ({"name": "cp", "autoScalingGroupProvider": {"autoScalingGroupArn": "g"}}, "ClientException"),
        ({"name": "cp3", "autoScalingGroupProvider": {"autoScalingGroupArn": "g", "managedTerminationProtection":
                                                      "ENABLED", "managedScaling": {"status": "ENABLED"}}},
         "ClientException"),
    ]:
        with pytest.raises(ClientError) as info:
            aws.ecs.create_capacity_provider(**kwargs)
        assert code(info)[0] == expected
    assert "instance protection from scale in" in code(info)[1]
    with pytest.raises(ClientError) as info:
        aws.ecs.create_cluster(clusterName="c2", capacityProviders=["nope"])
    assert code(info)[0] == "InvalidParameterException"
    aws.ecs.create_cluster(clusterName="c1", capacityProviders=["cp", "FARGATE"])
    with pytest.raises(ClientError) as info:
        aws.ecs.delete_capacity_provider(capacityProvider="cp")
    assert code(info) == ("ResourceInUseException", "The specified capacity provider is in use and cannot be removed.")
    for i in range(11):
        aws.asg.create_auto_scaling_group(AutoScalingGroupName=f"g{i}", LaunchTemplate={"LaunchTemplateName": "tpl"},
                                          MinSize=0, MaxSize=1, VPCZoneIdentifier=SUBNETS)
        aws.ecs.create_capacity_provider(name=f"cp{i:02}", autoScalingGroupProvider={"autoScalingGroupArn": f"g{i}"})
    first = aws.ecs.describe_capacity_providers()
    second = aws.ecs.describe_capacity_providers(nextToken=first["nextToken"])
    assert len(first["capacityProviders"]) == 10 and len(second["capacityProviders"]) == 2
    assert "nextToken" not in second


def test_the_seeded_ssm_parameters_name_ecs_optimised_amis(aws: Aws) -> None:
    """The ECS-optimised AMI parameters EC2 resolves at launch (AL2023, AL2, arm64) are there, as in an account."""
    ssm = boto3.client("ssm", region_name=REGION)
    for name in ("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
                 "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
                 "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"):
        assert ssm.get_parameter(Name=name)["Parameter"]["Value"].startswith("ami-")
    recommended = json.loads(ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended")[
        "Parameter"]["Value"])
    assert recommended["image_id"].startswith("ami-")


def test_a_deregistered_instance_does_not_join_again(aws: Aws) -> None:
    """DeregisterContainerInstance on a running instance: its agent does not register it again (the real agent keeps
    its registration in its state file), so a cluster emptied that way can be deleted."""
    aws.ecs.create_cluster(clusterName="c1")
    aws.profile()
    aws.template()
    aws.group(size=1)
    [member] = until("a container instance", aws.members)
    aws.ecs.deregister_container_instance(cluster="c1", containerInstance=member["containerInstanceArn"])
    time.sleep(0.2)  # ten steps
    assert aws.members() == []
    aws.ecs.delete_cluster(cluster="c1")


def test_a_template_naming_an_unknown_instance_profile_is_refused_and_no_group_is_left(aws: Aws) -> None:
    """As Auto Scaling answers while EC2 does not know the profile (it does not exist, or IAM has not propagated it
    yet): a ValidationError in AWS's wording, and no group."""
    aws.template(profile="nobody")
    with pytest.raises(ClientError) as info:
        aws.group()
    assert code(info) == ("ValidationError", "You must use a valid fully-formed launch template. Value (nobody) for "
                                             "parameter iamInstanceProfile.name is invalid. Invalid IAM Instance "
                                             "Profile name")
    assert aws.asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"] == []
    aws.profile("nobody")
    aws.group()
    assert len(aws.instances()) == 2


def test_a_capacity_provider_is_deleted_over_a_few_steps_as_in_ecs(aws: Aws) -> None:
    """DeleteCapacityProvider answers ACTIVE with DELETE_IN_PROGRESS; a second delete meanwhile is refused; then the
    provider is INACTIVE with DELETE_COMPLETE (described by name, no longer listed) and its name is free again."""
    aws.template(profile=None)
    aws.group(size=0)
    aws.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": "g"})
    answer = aws.ecs.delete_capacity_provider(capacityProvider="cp")["capacityProvider"]
    assert (answer["status"], answer["updateStatus"]) == ("ACTIVE", "DELETE_IN_PROGRESS")
    described = aws.ecs.describe_capacity_providers(capacityProviders=["cp"])["capacityProviders"]
    assert [(p["status"], p["updateStatus"]) for p in described] in ([("ACTIVE", "DELETE_IN_PROGRESS")],
                                                                    [("INACTIVE", "DELETE_COMPLETE")])
    if described[0]["status"] == "ACTIVE":  # (a loaded machine may have let the steps pass already)
        with pytest.raises(ClientError) as info:
            aws.ecs.delete_capacity_provider(capacityProvider="cp")
        assert code(info)[0] == "ClientException" and "being deleted" in code(info)[1]

    def inactive() -> bool:
        found = aws.ecs.describe_capacity_providers(capacityProviders=["cp"])["capacityProviders"]
        return [(p["status"], p["updateStatus"]) for p in found] == [("INACTIVE", "DELETE_COMPLETE")]

    until("the deletion to complete", inactive)
    assert "cp" not in [p["name"] for p in aws.ecs.describe_capacity_providers()["capacityProviders"]]
    aws.ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={"autoScalingGroupArn": "g"})
