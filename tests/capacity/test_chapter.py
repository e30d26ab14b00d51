"""The ECS chapter's cluster of container instances, through the whole pipeline against moto with the sandbox's
fixes and the ECS agent's stand-in: it applies and converges; an instance type change replaces the instances,
draining each first; a lower desired capacity drains before it terminates; a drain that cannot finish fails the
apply and terminates nothing; --prune deletes it all in reverse order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.model.plan import Action

from .helpers import (
    apply,
    assert_converges,
    chapter,
    container_instances,
    edit,
    host_terminated_stops,
    instance_types,
    plan_of,
    running,
)


def test_the_chapter_cluster_applies_and_converges(aws: Any, tmp_path: Path) -> None:
    """Role, profile, template, group of 2, capacity provider, cluster, a bridge service of 4 tasks: created in that
    order; both instances register with the cluster and the 4 tasks run; plan is then empty, a second apply makes no
    mutating call."""
    path = chapter(tmp_path, aws)
    first = plan_of(aws, path)
    order = [str(c.key) for c in first.changes]
    assert order == ["Role/chapter-ecs-instance", "InstanceProfile/chapter-ecs-instance", "LaunchTemplate/chapter-ecs",
                     "AutoScalingGroup/chapter-ecs", "CapacityProvider/chapter-ec2", "Cluster/chapter",
                     "TaskDefinition/chapter-web", "Service/chapter/chapter-web"]
    assert {c.action for c in first.changes} == {Action.CREATE}
    assert_converges(aws, path)
    assert instance_types(aws) == ["t3.small", "t3.small"]
    assert all(i["status"] == "ACTIVE" and i["agentConnected"] for i in container_instances(aws))
    assert running(aws) == 4
    group = aws.autoscaling.describe_group("chapter-ecs")
    assert {t["Key"]: t["PropagateAtLaunch"] for t in group["Tags"]}["reconciler:managed-by"] is False


def test_an_instance_type_change_replaces_every_instance_draining_each_first(aws: Any, tmp_path: Path) -> None:
    """InstanceType t3.small -> t3.medium: a new template version, both instances replaced; the new ones registered
    before any old one drained; no task stopped because its instance terminated; the old instances terminated and
    deregistered, the group back to 2, the template's MaxSize and tags as declared; then nothing left to do."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    old = {i["ec2InstanceId"] for i in container_instances(aws)}
    plan = plan_of(aws, path, {"INSTANCE_TYPE": "t3.medium"})
    changes = {str(c.key): c for c in plan.changes if c.is_change}
    assert set(changes) == {"LaunchTemplate/chapter-ecs", "AutoScalingGroup/chapter-ecs"}
    [instances] = [f for f in changes["AutoScalingGroup/chapter-ecs"].fields if f.path == "instances"]
    assert sorted(i.split()[0] for i in instances.before) == sorted(old)
    assert "drained" in changes["AutoScalingGroup/chapter-ecs"].reason
    aws.clients.mutations.calls.clear()
    assert_converges(aws, path, {"INSTANCE_TYPE": "t3.medium"})
    assert instance_types(aws) == ["t3.medium", "t3.medium"]
    new = {i["ec2InstanceId"] for i in container_instances(aws)}
    assert not new & old
    states = {i["InstanceId"]: i["State"]["Name"] for r in aws.clients.client("ec2").describe_instances(
        InstanceIds=sorted(old))["Reservations"] for i in r["Instances"]}
    assert set(states.values()) == {"terminated"}
    assert host_terminated_stops(aws) == []
    assert running(aws) == 4
    group = aws.autoscaling.describe_group("chapter-ecs")
    assert (group["DesiredCapacity"], group["MaxSize"]) == (2, 4)
    assert "reconciler:roll" not in {t["Key"] for t in group["Tags"]}


def test_a_lower_desired_capacity_drains_before_it_terminates(aws: Any, tmp_path: Path) -> None:
    """3 -> 2 instances: one instance is drained (its tasks replaced on the others), then terminated with the
    desired capacity decremented; AWS never chose an instance and killed its tasks."""
    path = chapter(tmp_path, aws)
    edit(path / "auto-scaling-group.yaml", "DesiredCapacity: 2", "DesiredCapacity: 3")
    assert_converges(aws, path)
    assert len(container_instances(aws)) == 3
    edit(path / "auto-scaling-group.yaml", "DesiredCapacity: 3", "DesiredCapacity: 2")
    plan = plan_of(aws, path)
    [change] = [c for c in plan.changes if c.is_change]
    assert "scales in by 1: drains before it terminates" in change.reason
    aws.clients.mutations.calls.clear()
    assert_converges(aws, path)
    assert len(container_instances(aws)) == 2
    assert host_terminated_stops(aws) == []
    assert running(aws) == 4


def test_a_drain_that_times_out_fails_the_apply_names_the_tasks_and_terminates_nothing(aws: Any,
                                                                                      tmp_path: Path) -> None:
    """Tasks of 1,500 MiB fit a t3.small (1,996 MiB registered) but not a t3.micro (998): moving to t3.micro, the
    new instances register, the first old one drains, its task finds no room, and after the drain timeout the
    apply fails naming that task. No old instance is terminated; the one draining stays DRAINING."""
    path = chapter(tmp_path, aws)
    edit(path / "web-taskdef.yaml", "memory: 256", "memory: 1500")
    edit(path / "web-service.yaml", "desiredCount: 4", "desiredCount: 2")
    edit(path / "auto-scaling-group.yaml", "drain-timeout: 10m", "drain-timeout: 2s")
    assert_converges(aws, path)
    old = {i["ec2InstanceId"] for i in container_instances(aws)}
    _, result = apply(aws, path, {"INSTANCE_TYPE": "t3.micro"})
    outcome = {str(o.key): o for o in result.outcomes}["AutoScalingGroup/chapter-ecs"]
    assert outcome.status == "failed"
    assert "DrainContainerInstance: Timeout" in outcome.message
    assert "still run 1 task(s) after 2s: task " in outcome.message and "of service chapter-web (RUNNING)" in \
        outcome.message
    members = {i["ec2InstanceId"]: i for i in container_instances(aws)}
    assert old <= set(members) and sorted(members[i]["status"] for i in old) == ["ACTIVE", "DRAINING"]
    states = {i["InstanceId"]: i["State"]["Name"] for r in aws.clients.client("ec2").describe_instances(
        InstanceIds=sorted(old))["Reservations"] for i in r["Instances"]}
    assert set(states.values()) == {"running"}
    assert host_terminated_stops(aws) == [] and running(aws) == 2
    # The group remembers the capacity to come back to; the plan still shows the instances to replace.
    group = aws.autoscaling.describe_group("chapter-ecs")
    assert {t["Key"]: t["Value"] for t in group["Tags"]}["reconciler:roll"] == "desired=2 max=4"
    after = plan_of(aws, path, {"INSTANCE_TYPE": "t3.micro"})
    [change] = [c for c in after.changes if c.is_change]
    assert "instances" in {f.path for f in change.fields}


def test_prune_drains_and_deletes_everything_in_reverse_order(aws: Any, tmp_path: Path) -> None:
    """Removing it all with --prune: the service is drained and deleted, the cluster drained and deleted, then the
    capacity provider, the group (instances terminated), the template, the profile and the role, in that order."""
    path = chapter(tmp_path, aws)
    assert_converges(aws, path)
    empty = tmp_path / "empty"
    empty.mkdir()
    plan = plan_of(aws, empty, prune=True)
    deletes = [str(c.key) for c in plan.changes if c.action is Action.DELETE]
    assert deletes == ["Service/chapter/chapter-web", "TaskDefinition/chapter-web:1", "Cluster/chapter",
                       "CapacityProvider/chapter-ec2", "AutoScalingGroup/chapter-ecs", "LaunchTemplate/chapter-ecs",
                       "InstanceProfile/chapter-ecs-instance", "Role/chapter-ecs-instance"]
    aws.clients.mutations.calls.clear()
    _, result = apply(aws, empty, prune=True)
    assert result.ok, [(str(o.key), o.message) for o in result.outcomes if o.status != "applied"]
    calls = [c for c in aws.clients.mutations.calls if c.split(".")[1].startswith("Delete")]
    assert calls == ["ecs.DeleteService", "ecs.DeleteCluster", "ecs.DeleteCapacityProvider",
                     "auto-scaling.DeleteAutoScalingGroup", "ec2.DeleteLaunchTemplate", "iam.DeleteInstanceProfile",
                     "iam.DeleteRole"]
    assert aws.autoscaling.describe_group("chapter-ecs") is None
    assert aws.iam.get_role("chapter-ecs-instance") is None
    assert not plan_of(aws, empty, prune=True).has_changes


def test_prune_terminates_instances_protected_from_scale_in(aws: Any, tmp_path: Path) -> None:
    """A group whose instances are protected from scale in (as a capacity provider's managed termination protection
    requires): a desired capacity of 0 would never terminate them. After the drain the group is force-deleted, which
    terminates every instance whatever its protection."""
    path = chapter(tmp_path, aws)
    edit(path / "auto-scaling-group.yaml", "  HealthCheckGracePeriod: 60\n",
         "  HealthCheckGracePeriod: 60\n  NewInstancesProtectedFromScaleIn: true\n")
    edit(path / "capacity-provider.yaml", "    managedTerminationProtection: DISABLED\n",
         "    managedTerminationProtection: ENABLED\n    managedScaling: {status: ENABLED, targetCapacity: 100}\n")
    assert_converges(aws, path)
    group = aws.autoscaling.describe_group("chapter-ecs")
    ids = [str(i["InstanceId"]) for i in group["Instances"]]
    assert len(ids) == 2 and all(i["ProtectedFromScaleIn"] for i in group["Instances"])
    empty = tmp_path / "empty"
    empty.mkdir()
    _, result = apply(aws, empty, prune=True, timeout=30)
    assert result.ok, [(str(o.key), o.message) for o in result.outcomes if o.status != "applied"]
    assert aws.autoscaling.describe_group("chapter-ecs") is None
    states = aws.clients.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    assert sorted(i["State"]["Name"] for r in states for i in r["Instances"]) == ["terminated", "terminated"]
    assert not plan_of(aws, empty, prune=True).has_changes
