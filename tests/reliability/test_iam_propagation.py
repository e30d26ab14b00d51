"""IAM is eventually consistent with EC2: just after the instance profile is made, Auto Scaling refuses a launch
template naming it (injected below botocore's retry layer, in AWS's words). The group's create is made again until
the profile is seen, and fails with a clear message when it never is; nothing is created twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..capacity.helpers import apply, chapter, plan_of
from .faults import Refuse

NOT_YET = ("You must use a valid fully-formed launch template. Value (chapter-ecs-instance) for parameter "
           "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")


def test_the_group_is_created_once_the_profile_has_propagated(conn: Any, observer: Any, tmp_path: Path) -> None:
    path = chapter(tmp_path, conn)
    refused = Refuse("CreateAutoScalingGroup", "ValidationError", NOT_YET, times=2).install(conn.autoscaling.client)
    slept: list[float] = []
    conn.autoscaling.sleep = slept.append
    _, result = apply(conn, path)
    assert result.ok, [(str(o.key), o.message) for o in result.outcomes if o.status != "applied"]
    assert refused.sent == 3 and slept == [1.0, 2.0]
    group = observer.autoscaling.describe_group("chapter-ecs")
    assert group is not None and len(group["Instances"]) == 2
    assert not plan_of(observer, path).has_changes


def test_a_profile_that_never_propagates_fails_the_group_with_the_reason(conn: Any, observer: Any,
                                                                         tmp_path: Path) -> None:
    path = chapter(tmp_path, conn)
    refused = Refuse("CreateAutoScalingGroup", "ValidationError", NOT_YET, times=1000).install(conn.autoscaling.client)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    conn.autoscaling.sleep, conn.autoscaling.clock = sleep, lambda: now[0]
    _, result = apply(conn, path)
    assert not result.ok
    failed = {str(o.key): o.message for o in result.outcomes if o.status == "failed"}
    assert list(failed) == ["AutoScalingGroup/chapter-ecs"]
    assert "Invalid IAM Instance Profile name (still refused after 120s" in failed["AutoScalingGroup/chapter-ecs"]
    # Waits of 1, 2, 4, 8 s, then 10 s each, while the next would end within the 120 s: 15 sends over 115 s.
    assert now[0] == 115 and refused.sent == 15
    assert observer.autoscaling.describe_group("chapter-ecs") is None
    assert observer.ecs.all_capacity_providers() == []  # (what needs the group was not attempted)
