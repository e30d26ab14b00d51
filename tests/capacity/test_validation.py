"""The EC2 capacity kinds' offline rules, each on its own, and across manifests (as `validate` reports them, with
file:line:col): what IAM, EC2, Auto Scaling and ECS refuse, refused before any AWS call."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.errors import ManifestError
from reconciler.model import shapes
from reconciler.validation import capacity, iam, limits
from reconciler.validation.issues import Rule

from ..conftest import EC2_CLUSTER
from .helpers import edit

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
DATA = {"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.small"}
GROUP = {"LaunchTemplate": {"LaunchTemplateName": "t", "Version": "$Default"}, "MinSize": 1, "MaxSize": 3,
         "VPCZoneIdentifier": "subnet-0a0a0a0a0a0a0a0a1,subnet-0a0a0a0a0a0a0a0a2"}
PROVIDER = {"autoScalingGroupProvider": {"autoScalingGroupArn": "g"}}


def g(**changes: Any) -> dict[str, Any]:
    return {**GROUP, **changes}


CASES: list[tuple[Rule, dict[str, Any], str | None]] = [
    (iam.trust_policy, {"AssumeRolePolicyDocument": TRUST}, None),
    (iam.trust_policy, {"AssumeRolePolicyDocument": {"Version": "2012-10-17"}}, "a trust policy needs a Statement"),
    (iam.trust_policy, {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}},
     "needs a Principal"),
    (iam.trust_policy, {"AssumeRolePolicyDocument": {"Statement": {**TRUST["Statement"][0], "Resource": "*"}}},
     "a trust policy has no Resource"),
    (iam.managed_policies, {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServicefor"
                                                  "EC2Role", "arn:aws:iam::123456789012:policy/team/mine"]}, None),
    (iam.managed_policies, {"ManagedPolicyArns": ["AmazonEC2ContainerServiceforEC2Role"]}, "not a managed policy ARN"),
    (iam.managed_policies, {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/A"]},
     "listed twice"),
    (iam.managed_policies, {"ManagedPolicyArns": [f"arn:aws:iam::aws:policy/P{i}" for i in range(21)]},
     "at most 20 managed policies"),
    (iam.profile_roles, {"Roles": ["a"]}, None),
    (iam.profile_roles, {"Roles": ["a", "b"]}, "holds at most one role"),
    (iam.profile_roles, {"Roles": ["arn:aws:iam::123456789012:role/a"]}, "is not a role name"),
    (iam.tags, {"Tags": [{"Key": "aws:x", "Value": "y"}]}, "the aws: prefix is reserved"),
    (capacity.template_tags, {"TagSpecifications": [{"ResourceType": "launch-template", "Tags": [
        {"Key": "a", "Value": "b"}]}]}, None),
    (capacity.template_tags, {"TagSpecifications": [{"ResourceType": "instance", "Tags": []}]},
     "take ResourceType launch-template"),
    (capacity.template_tags, {"TagSpecifications": [{"ResourceType": "launch-template", "Tags": [
        {"Key": "a", "Value": "b"}, {"Key": "a", "Value": "c"}]}]}, "duplicate tag key 'a'"),
    (capacity.user_data, {"LaunchTemplateData": {**DATA, "UserData": "#!/bin/bash\n" * 100}}, None),
    (capacity.user_data, {"LaunchTemplateData": {**DATA, "UserData": "x" * 16385}}, "EC2 takes at most 16384"),
    (capacity.image_id, {"LaunchTemplateData": {"ImageId": "resolve:ssm:/aws/service/ecs/optimized-ami/"
                                                           "amazon-linux-2023/recommended/image_id"}}, None),
    (capacity.image_id, {"LaunchTemplateData": {"ImageId": "amazon-linux-2023"}}, "neither an AMI ID"),
    (capacity.security_groups, {"LaunchTemplateData": {**DATA, "SecurityGroupIds": ["sg-1"],
                                                       "NetworkInterfaces": [{"DeviceIndex": 0}]}},
     "not both"),
    (capacity.security_groups, {"LaunchTemplateData": {**DATA, "IamInstanceProfile": {
        "Name": "p", "Arn": "arn:aws:iam::123456789012:instance-profile/p"}}}, "by Arn or by Name, not both"),
    (capacity.sizes, g(DesiredCapacity=2), None),
    (capacity.sizes, g(MinSize=4), "MaxSize 3 is below MinSize 4"),
    (capacity.sizes, g(DesiredCapacity=5), "DesiredCapacity 5 must be between MinSize 1 and MaxSize 3"),
    (capacity.launch_source, GROUP, None),
    (capacity.launch_source, g(LaunchConfigurationName="lc"), "exactly one of LaunchTemplate"),
    (capacity.launch_source, g(LaunchTemplate={"LaunchTemplateName": "t", "LaunchTemplateId": "lt-1"}),
     "LaunchTemplateName or LaunchTemplateId"),
    (capacity.launch_source, g(LaunchTemplate={"LaunchTemplateName": "t", "Version": "latest"}),
     "Version must be $Latest, $Default or a version number"),
    (capacity.subnets, g(VPCZoneIdentifier="subnet-0a0a0a0a0a0a0a0a1, subnet-0a0a0a0a0a0a0a0a2"), None),
    (capacity.subnets, g(VPCZoneIdentifier="subnet-0a0a0a0a0a0a0a0a1;subnet-0a0a0a0a0a0a0a0a2"),
     "is not a subnet ID"),
    (capacity.subnets, g(VPCZoneIdentifier="subnet-0a0a0a0a0a0a0a0a1,subnet-0a0a0a0a0a0a0a0a1"), "listed twice"),
    (capacity.subnets, {k: v for k, v in GROUP.items() if k != "VPCZoneIdentifier"}, "give VPCZoneIdentifier"),
    (capacity.group_tags, g(Tags=[{"Key": "a", "Value": "b", "PropagateAtLaunch": True}]), None),
    (capacity.group_tags, g(Tags=[{"Key": "a", "Value": "b", "ResourceType": "instance"}]),
     "ResourceType is auto-scaling-group"),
    (capacity.provider_kind, PROVIDER, None),
    (capacity.provider_kind, {}, "give autoScalingGroupProvider"),
    (capacity.termination_protection, {"autoScalingGroupProvider": {
        "autoScalingGroupArn": "g", "managedTerminationProtection": "ENABLED",
        "managedScaling": {"status": "ENABLED"}}}, None),
    (capacity.termination_protection, {"autoScalingGroupProvider": {
        "autoScalingGroupArn": "g", "managedTerminationProtection": "ENABLED"}}, "needs managedScaling status ENABLED"),
]
IDS = [f"{rule.__module__.rsplit('.', 1)[-1]}.{rule.__name__}-{i}" for i, (rule, _, _) in enumerate(CASES)]


@pytest.mark.parametrize(("rule", "spec", "expected"), CASES, ids=IDS)
def test_rule(rule: Rule, spec: dict[str, Any], expected: str | None) -> None:
    messages = [issue.message for issue in rule(spec)]
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages), messages


def test_every_pattern_in_the_capacity_models_compiles() -> None:
    """IAM and Auto Scaling patterns name UTF-16 surrogate pairs the Java way: they translate to Python."""
    for service in ("iam", "ec2", "autoscaling"):
        model = shapes.service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                limits.compiled(pattern)
    assert limits.compiled(shapes.input_shape("autoscaling", "CreateAutoScalingGroup").members[
        "AutoScalingGroupName"].metadata["pattern"]).fullmatch("web \U0001f680")


def problems(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as info:
        loader.load([str(path)])
    return [p.render() for p in info.value.problems]


def test_what_involves_several_manifests(tmp_path: Path) -> None:
    """Managed termination protection without the group's scale-in protection, and a service strategy naming a
    provider its cluster does not have, are errors at their place; a group pinned to a template version, a profile
    whose role does not trust EC2, and instances joining another cluster than their provider's are warnings."""
    path = tmp_path / "ec2"
    shutil.copytree(EC2_CLUSTER, path)
    edit(path / "capacity-provider.yaml", "managedTerminationProtection: DISABLED",
         "managedTerminationProtection: ENABLED\n    managedScaling: {status: ENABLED}")
    edit(path / "web-service.yaml", "- capacityProvider: chapter-ec2", "- capacityProvider: FARGATE")
    found = problems(path)
    assert len(found) == 2, found
    assert any("capacity-provider.yaml:10:35: CapacityProvider/chapter-ec2: spec.autoScalingGroupProvider."
               "managedTerminationProtection: managedTerminationProtection ENABLED needs AutoScalingGroup "
               "'chapter-ecs' to set NewInstancesProtectedFromScaleIn: true" in p for p in found), found
    assert any("web-service.yaml:13:25: Service/chapter/chapter-web: spec.capacityProviderStrategy[0]."
               "capacityProvider: capacity provider 'FARGATE' is not in the capacityProviders of Cluster 'chapter'"
               in p for p in found), found
    shutil.rmtree(path)
    shutil.copytree(EC2_CLUSTER, path)
    edit(path / "auto-scaling-group.yaml", "Version: $Default", "Version: \"1\"")
    edit(path / "role.yaml", "Service: ec2.amazonaws.com", "Service: ecs-tasks.amazonaws.com")
    edit(path / "launch-template.yaml", "ECS_CLUSTER=chapter", "ECS_CLUSTER=other")
    warnings = [w.render() for w in loader.load([str(path)]).warnings]
    assert len(warnings) == 3, warnings
    assert any("version 1 of LaunchTemplate 'chapter-ecs' is fixed" in w for w in warnings)
    assert any("Role 'chapter-ecs-instance' does not trust ec2.amazonaws.com" in w for w in warnings)
    assert any("its instances join cluster 'other' (ECS_CLUSTER in UserData), but their capacity provider "
               "'chapter-ec2' serves Cluster 'chapter'" in w for w in warnings)


def test_names_and_sizes_are_refused_at_their_place(tmp_path: Path) -> None:
    """A capacity provider name AWS reserves, sizes out of order, an unknown field with a hint."""
    path = tmp_path / "ec2"
    shutil.copytree(EC2_CLUSTER, path)
    edit(path / "capacity-provider.yaml", "name: chapter-ec2", "name: ecs-capacity")
    edit(path / "auto-scaling-group.yaml", "MinSize: 2", "MinSize: 5")
    edit(path / "launch-template.yaml", "InstanceType:", "InstanceTyp:")
    found = "\n".join(problems(path))
    assert "CapacityProvider/ecs-capacity: metadata.name: invalid CapacityProvider name 'ecs-capacity': up to 255 " \
           "letters, numbers, hyphens and underscores, not starting with aws, ecs or fargate" in found
    assert "auto-scaling-group.yaml:14:12: AutoScalingGroup/chapter-ecs: spec.MaxSize: MaxSize 4 is below MinSize 5" \
           in found
    assert "spec.LaunchTemplateData.InstanceTyp: unknown field 'InstanceTyp'; did you mean 'InstanceType'?" in found
