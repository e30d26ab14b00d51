"""`reconciler import --cluster` and EC2 capacity: a cluster made by hand from an Auto Scaling group (as the ECS
chapter's console wizard makes it) imports with its capacity provider, group, launch template, instance profile and
role; plan shows only the adoption; after apply it converges. A cluster reconciler made imports to an empty plan."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml

from reconciler.importing.live import import_live

from ..capacity.helpers import apply as apply_chapter
from ..capacity.helpers import chapter
from .helpers import assert_round_trip, plan, write

USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=wizard >> /etc/ecs/ecs.config\n"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def by_hand(conn: Any) -> None:
    """What the console's "EC2 Linux + Networking" cluster wizard makes, with the SDK."""
    iam, ec2 = conn.clients.client("iam"), conn.clients.client("ec2")
    asg, ecs = conn.clients.client("autoscaling"), conn.clients.ecs
    policy = iam.create_policy(PolicyName="agent", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=json.dumps(TRUST),
                    Tags=[{"Key": "team", "Value": "ops"}])
    iam.attach_role_policy(RoleName="ecsInstanceRole", PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="ecsInstanceRole")
    ec2.create_launch_template(LaunchTemplateName="wizard-lt", LaunchTemplateData={
        "ImageId": "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
        "InstanceType": "t3.small", "IamInstanceProfile": {"Name": "ecsInstanceRole"},
        "UserData": base64.b64encode(USER_DATA.encode()).decode()})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="wizard-asg", LaunchTemplate={"LaunchTemplateName": "wizard-lt", "Version": "$Default"},
        MinSize=0, MaxSize=3, DesiredCapacity=1, VPCZoneIdentifier="subnet-0a0a0a0a0a0a0a0a1,subnet-0a0a0a0a0a0a0a0a2",
        Tags=[{"Key": "Name", "Value": "ECS Instance - wizard", "PropagateAtLaunch": True}])
    ecs.create_capacity_provider(name="wizard-cp", autoScalingGroupProvider={"autoScalingGroupArn": "wizard-asg"})
    ecs.create_cluster(clusterName="wizard", capacityProviders=["wizard-cp"], defaultCapacityProviderStrategy=[
        {"capacityProvider": "wizard-cp", "weight": 1}])


def test_a_hand_made_ec2_cluster_imports_with_its_capacity_and_converges(aws: Any, tmp_path: Path) -> None:
    by_hand(aws)
    aws.clients.mutations.calls.clear()
    result = import_live(aws.ecs, aws.ecr, "us-east-1", ["wizard"], [], all_clusters=False, capacity=aws.capacity)
    assert aws.clients.mutations.calls == []  # import only reads
    assert result.warnings == [], [w.render() for w in result.warnings]
    variables = write(result, tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yaml"))
    assert files == ["capacity/auto-scaling-groups/wizard-asg.yaml", "capacity/capacity-providers/wizard-cp.yaml",
                     "capacity/launch-templates/wizard-lt.yaml", "clusters/wizard/cluster.yaml",
                     "iam/instance-profiles/ecsInstanceRole.yaml", "iam/roles/ecsInstanceRole.yaml"]
    provider = yaml.safe_load((tmp_path / "capacity/capacity-providers/wizard-cp.yaml").read_text())["spec"]
    assert provider["autoScalingGroupProvider"]["autoScalingGroupArn"] == "wizard-asg"  # by name, not ARN
    group = yaml.safe_load((tmp_path / "capacity/auto-scaling-groups/wizard-asg.yaml").read_text())["spec"]
    assert group["LaunchTemplate"] == {"LaunchTemplateName": "wizard-lt"}  # ($Default: what AWS uses when none)
    assert group["Tags"] == [{"Key": "Name", "Value": "ECS Instance - wizard", "PropagateAtLaunch": True}]
    assert "DefaultCooldown" not in group and "AvailabilityZones" not in group  # AWS's, not the wizard's
    template = yaml.safe_load((tmp_path / "capacity/launch-templates/wizard-lt.yaml").read_text())["spec"]
    assert template["LaunchTemplateData"]["UserData"] == USER_DATA  # text, not base64
    role = yaml.safe_load((tmp_path / "iam/roles/ecsInstanceRole.yaml").read_text())["spec"]
    assert role["AssumeRolePolicyDocument"] == TRUST and role["ManagedPolicyArns"] == [
        "arn:aws:iam::123456789012:policy/agent"]
    first = assert_round_trip(aws, tmp_path, variables)
    assert first.summary()["update"] == 6


def test_a_cluster_reconciler_made_imports_to_an_empty_plan(aws: Any, tmp_path: Path) -> None:
    """Import right after apply: the provider, group and template come back exactly; the profile (and so its role)
    is someone's already (the manifests that made it), named by the template as an existing one; plan is empty."""
    path = chapter(tmp_path, aws)
    _, made = apply_chapter(aws, path)
    assert made.ok
    result = import_live(aws.ecs, aws.ecr, "us-east-1", ["chapter"], [], all_clusters=False, capacity=aws.capacity)
    notes = [w.render() for w in result.warnings]
    assert len(notes) == 1 and "InstanceProfile/chapter-ecs-instance: not imported: it is managed already " \
        "(reconciler owner 'reconciler')" in notes[0], notes
    out = tmp_path / "imported"
    variables = write(result, out)
    assert not plan(aws, out, variables).has_changes
