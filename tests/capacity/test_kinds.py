"""Each EC2 capacity kind on its own, in-process: updates plan exactly the fields that change and converge; what AWS
fills in is never a change (a launch template version's loop guard); references that exist nowhere are errors; what
is not ours is refused unless adopted; prune keeps what a manifest still names."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.executor import refusal
from reconciler.model.plan import Action

from .helpers import STAND_IN_POLICY, apply, assert_converges, chapter, edit, plan_of


def changed(plan: Any) -> dict[str, list[str]]:
    return {str(c.key): [f.path for f in c.fields] for c in plan.changes if c.is_change}


def test_role_and_instance_profile_updates_converge(aws: Any, tmp_path: Path) -> None:
    """Trust policy, description and managed policies (attached and detached to match); the profile's role."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    iam = aws.clients.client("iam")
    iam.create_policy(PolicyName="logs", PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                                        '"Action": "logs:*", "Resource": "*"}]}')
    edit(path / "role.yaml", "Description: Container instances of the chapter cluster (ECS agent)",
         "Description: the agent's role")
    edit(path / "role.yaml", f"    - {STAND_IN_POLICY}", "    - arn:aws:iam::123456789012:policy/logs")
    edit(path / "role.yaml", "Service: ec2.amazonaws.com", "Service: [ec2.amazonaws.com, ecs.amazonaws.com]")
    assert changed(plan_of(aws, path)) == {"Role/chapter-ecs-instance": [
        "AssumeRolePolicyDocument.Statement[0].Principal.Service", "Description", "ManagedPolicyArns[0]"]}
    assert_converges(aws, path)
    assert aws.iam.attached_policies("chapter-ecs-instance") == ["arn:aws:iam::123456789012:policy/logs"]
    (path / "other-role.yaml").write_text((path / "role.yaml").read_text().replace(
        "name: chapter-ecs-instance", "name: chapter-other"))
    edit(path / "instance-profile.yaml", "Roles: [chapter-ecs-instance]", "Roles: [chapter-other]")
    assert changed(plan_of(aws, path))["InstanceProfile/chapter-ecs-instance"] == ["Roles[0]"]
    assert_converges(aws, path)
    profile = aws.iam.get_instance_profile("chapter-ecs-instance")
    assert [r["RoleName"] for r in profile["Roles"]] == ["chapter-other"]


def test_a_launch_template_change_is_a_new_default_version_and_old_ones_go(aws: Any, tmp_path: Path) -> None:
    """Each change of the data creates one version carrying every field and makes it the default; beyond the last
    N versions (here 2) the old ones are deleted, never the default."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    for size in ("t3.medium", "t3.large", "t3.xlarge"):
        apply(aws, path, {"INSTANCE_TYPE": size}, keep_versions=2)
        assert not plan_of(aws, path, {"INSTANCE_TYPE": size}).has_changes
    versions = aws.ec2.all_versions("chapter-ecs")
    assert sorted(int(v["VersionNumber"]) for v in versions) == [3, 4]
    template = aws.ec2.describe_launch_template("chapter-ecs")
    assert template["DefaultVersionNumber"] == 4
    [latest] = [v for v in versions if v["VersionNumber"] == 4]
    data = latest["LaunchTemplateData"]
    assert data["InstanceType"] == "t3.xlarge" and data["IamInstanceProfile"] == {"Name": "chapter-ecs-instance"}
    assert "ECS_CLUSTER=chapter" in base64.b64decode(data["UserData"]).decode()
    assert latest["VersionDescription"].startswith("reconciler:sent-digest=")


def test_what_ec2_reports_beyond_what_was_sent_is_no_change(aws: Any, tmp_path: Path) -> None:
    """The loop guard: EC2 reporting a field in the default version that reconciler did not send (as a future EC2
    may) plans no new version, since the version's description records the digest of what it was created from. A
    version made by someone else (no digest) shows the same field as a change."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    ec2 = aws.ec2.client

    def fill_in(parsed: dict[str, Any], **kwargs: Any) -> None:
        for version in parsed.get("LaunchTemplateVersions", []):
            version["LaunchTemplateData"]["DisableApiStop"] = False

    ec2.meta.events.register("after-call.ec2.DescribeLaunchTemplateVersions", fill_in)
    try:
        plan = plan_of(aws, path)
        [template] = [c for c in plan.changes if str(c.key) == "LaunchTemplate/chapter-ecs"]
        assert template.action is Action.NOOP and "EC2 reports LaunchTemplateData.DisableApiStop" in template.reason
        data = dict(ec2.describe_launch_template_versions(LaunchTemplateName="chapter-ecs",
                                                          Versions=["$Default"])["LaunchTemplateVersions"][0][
                                                              "LaunchTemplateData"])
        made = ec2.create_launch_template_version(LaunchTemplateName="chapter-ecs", LaunchTemplateData=data,
                                                  VersionDescription="by hand")
        ec2.modify_launch_template(LaunchTemplateName="chapter-ecs",
                                   DefaultVersion=str(made["LaunchTemplateVersion"]["VersionNumber"]))
        assert changed(plan_of(aws, path))["LaunchTemplate/chapter-ecs"] == ["LaunchTemplateData.DisableApiStop"]
    finally:
        ec2.meta.events.unregister("after-call.ec2.DescribeLaunchTemplateVersions", fill_in)


def test_capacity_provider_named_by_group_name_matches_the_arn_ecs_reports(aws: Any, tmp_path: Path) -> None:
    """The manifest names the group; ECS reports its ARN: the same group, no change. Managed scaling settings update
    in place; another group cannot (replace)."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    provider = aws.ecs.describe_capacity_providers(["chapter-ec2"])["chapter-ec2"]
    assert provider["autoScalingGroupProvider"]["autoScalingGroupArn"].startswith("arn:aws:autoscaling:")
    edit(path / "capacity-provider.yaml", "    managedTerminationProtection: DISABLED",
         "    managedTerminationProtection: DISABLED\n    managedScaling:\n      status: ENABLED\n"
         "      targetCapacity: 90")
    assert changed(plan_of(aws, path)) == {"CapacityProvider/chapter-ec2": [
        "autoScalingGroupProvider.managedScaling.status", "autoScalingGroupProvider.managedScaling.targetCapacity"]}
    assert_converges(aws, path)
    edit(path / "capacity-provider.yaml", "autoScalingGroupArn: chapter-ecs", "autoScalingGroupArn: other")
    (path / "other.yaml").write_text((path / "auto-scaling-group.yaml").read_text().replace(
        "  name: chapter-ecs\n", "  name: other\n"))
    [replace] = [c for c in plan_of(aws, path).changes if str(c.key) == "CapacityProvider/chapter-ec2"]
    assert replace.action is Action.REPLACE and replace.replace_fields == ("autoScalingGroupProvider."
                                                                          "autoScalingGroupArn",)


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("instance-profile.yaml", "Roles: [chapter-ecs-instance]", "Roles: [missing-role]",
     "role 'missing-role' is neither a Role manifest nor an existing role"),
    ("auto-scaling-group.yaml", "LaunchTemplateName: chapter-ecs", "LaunchTemplateName: missing-lt",
     "launch template 'missing-lt' is neither a LaunchTemplate manifest nor an existing launch template"),
    ("cluster.yaml", "capacityProviders: [chapter-ec2]", "capacityProviders: [missing-cp]",
     "capacity provider 'missing-cp' is neither a CapacityProvider manifest nor an existing capacity provider"),
])
def test_a_reference_that_exists_nowhere_is_an_error_and_nothing_is_applied(aws: Any, tmp_path: Path, file: str,
                                                                            old: str, new: str, message: str) -> None:
    path = chapter(tmp_path, aws)
    if file == "cluster.yaml":  # (the service's strategy must stay within the cluster's providers)
        edit(path / "web-service.yaml", "capacityProvider: chapter-ec2", "capacityProvider: missing-cp")
        edit(path / "cluster.yaml", "- capacityProvider: chapter-ec2", "- capacityProvider: missing-cp")
    edit(path / file, old, new)
    aws.clients.mutations.calls.clear()
    plan = plan_of(aws, path)
    assert any(message in e for e in plan.errors), plan.errors
    assert refusal(plan, allow_replace=False)
    assert aws.clients.mutations.calls == []


def test_a_role_made_elsewhere_is_refused_until_adopted(aws: Any, tmp_path: Path) -> None:
    """A role that exists without our tags: plan refuses to change it; with the adopt annotation it is claimed
    (tagged, with this region) and converges."""
    path = chapter(tmp_path, aws)
    aws.clients.client("iam").create_role(RoleName="chapter-ecs-instance", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    plan = plan_of(aws, path)
    assert any("Role/chapter-ecs-instance exists in AWS but is not managed" in e for e in plan.errors)
    edit(path / "role.yaml", "  name: chapter-ecs-instance\n",
         '  name: chapter-ecs-instance\n  annotations:\n    reconciler.io/adopt: "true"\n')
    assert_converges(aws, path)
    tags = {t["Key"]: t["Value"] for t in aws.iam.get_role("chapter-ecs-instance")["Tags"]}
    assert tags["reconciler:managed-by"] == "reconciler" and tags["reconciler:region"] == "us-east-1"


def test_prune_keeps_what_a_manifest_still_names(aws: Any, tmp_path: Path) -> None:
    """The Role manifest leaves git while the InstanceProfile manifest still holds the role: kept, with a warning.
    A role of ours made by an apply in another region is never pruned from this one."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    (path / "role.yaml").unlink()
    iam = aws.clients.client("iam")
    iam.create_role(RoleName="elsewhere", AssumeRolePolicyDocument="{}", Tags=[
        {"Key": "reconciler:managed-by", "Value": "reconciler"}, {"Key": "reconciler:region", "Value": "eu-west-1"}])
    plan = plan_of(aws, path, prune=True)
    assert [c for c in plan.changes if c.action is Action.DELETE] == []
    assert any("Role/chapter-ecs-instance left git but is kept: InstanceProfile/chapter-ecs-instance still names it"
               in w for w in plan.warnings), plan.warnings
    assert any("Role/elsewhere (eu-west-1) is ours but was made by an apply in another region" in w
               for w in plan.warnings), plan.warnings
