"""The EC2 capacity kinds' writes under lost responses (injected below botocore's retry layer: AWS carried the
request out, the response never arrived). Nothing exists twice: the creates AWS does not make idempotent are resent
by botocore and the "already exists" answer is recognised by our tags (sent in the same request); launch templates
and their versions carry a ClientToken; TerminateInstanceInAutoScalingGroup (it decrements the desired capacity) is
never resent blindly: the roll reads the group again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..capacity.helpers import apply, chapter, plan_of
from .faults import LoseResponse

CREATES = [
    ("iam", "CreateRole"),
    ("iam", "CreateInstanceProfile"),
    ("iam", "AddRoleToInstanceProfile"),
    ("ec2", "CreateLaunchTemplate"),
    ("autoscaling", "CreateAutoScalingGroup"),
    ("ecs", "CreateCapacityProvider"),
]


def client_of(conn: Any, service: str) -> Any:
    return {"iam": conn.iam.client, "ec2": conn.ec2.client, "autoscaling": conn.autoscaling.client,
            "ecs": conn.clients.ecs}[service]


@pytest.mark.parametrize(("service", "operation"), CREATES, ids=[o for _, o in CREATES])
def test_a_lost_create_makes_one_resource(conn: Any, observer: Any, tmp_path: Path, service: str,
                                          operation: str) -> None:
    """The create is resent, AWS says it exists, the applier sees our tags on it: done, once."""
    path = chapter(tmp_path, conn)
    lost = LoseResponse(operation).install(client_of(conn, service))
    _, result = apply(conn, path)
    assert result.ok, [(str(o.key), o.message) for o in result.outcomes if o.status != "applied"]
    assert lost.sent == 2, f"{operation} was sent {lost.sent} time(s)"
    assert not plan_of(observer, path).has_changes
    group = observer.autoscaling.describe_group("chapter-ecs")
    assert group is not None and len(group["Instances"]) == 2
    assert len(observer.ec2.describe_launch_templates()) == 1
    assert [p["name"] for p in observer.ecs.all_capacity_providers()] == ["chapter-ec2"]


def test_a_lost_template_version_is_one_version_and_a_lost_termination_is_not_resent(conn: Any, observer: Any,
                                                                                    tmp_path: Path) -> None:
    """CreateLaunchTemplateVersion's response lost: the resend (same ClientToken) returns the version it made.
    TerminateInstanceInAutoScalingGroup's response lost: botocore does not resend it; the roll reads the group, sees
    the instance terminating, goes on. Two instances replaced, the group back to 2, one new version."""
    path = chapter(tmp_path, conn)
    _, made = apply(conn, path)
    assert made.ok
    version = LoseResponse("CreateLaunchTemplateVersion").install(conn.ec2.client)
    terminate = LoseResponse("TerminateInstanceInAutoScalingGroup").install(conn.autoscaling.client)
    _, result = apply(conn, path, {"INSTANCE_TYPE": "t3.medium"})
    assert result.ok, [(str(o.key), o.message) for o in result.outcomes if o.status != "applied"]
    assert version.sent == 2
    assert terminate.sent == 2, "one send per old instance: the lost one was not sent again"
    assert sorted(int(v["VersionNumber"]) for v in observer.ec2.all_versions("chapter-ecs")) == [1, 2]
    group = observer.autoscaling.describe_group("chapter-ecs")
    assert group["DesiredCapacity"] == 2
    assert sorted(i["InstanceType"] for i in group["Instances"] if i["LifecycleState"] == "InService") == \
        ["t3.medium", "t3.medium"]
    assert not plan_of(observer, path, {"INSTANCE_TYPE": "t3.medium"}).has_changes
