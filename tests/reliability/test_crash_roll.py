"""SIGKILL in the middle of an instance roll, through a proxy in front of a `reconciler sandbox` process: after the
group's capacity was raised, after the first container instance was set DRAINING, after the first old instance was
terminated. The roll is data derived from live state at every step: the re-run continues it, replaces what is left,
never terminates an instance that still runs a task, and restores the group's capacity."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ..capacity.helpers import chapter
from ..conftest import REGION
from ..sandbox_process import sandbox_process
from .proxy import killing_proxy

pytestmark = pytest.mark.server
CLI = str(Path(sys.executable).parent / "reconciler")
KILL_AFTER = ("UpdateAutoScalingGroup", "UpdateContainerInstancesState", "TerminateInstanceInAutoScalingGroup")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    with sandbox_process("0.05") as env:
        yield env


def apply_args(path: Path, *extra: str) -> list[str]:
    return [CLI, "apply", str(path), "--poll", "0.2s", "--log-format", "json", *extra]


def named(tmp_path: Path, suffix: str) -> Path:
    path = chapter(tmp_path, name=suffix)
    for file in path.glob("*.yaml"):
        file.write_text(file.read_text().replace("chapter", suffix))
    return path


def client(env: dict[str, str], service: str) -> Any:
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def check(env: dict[str, str], suffix: str, old: set[str]) -> None:
    ecs, ec2, asg = client(env, "ecs"), client(env, "ec2"), client(env, "autoscaling")
    arns = ecs.list_container_instances(cluster=suffix)["containerInstanceArns"]
    members = ecs.describe_container_instances(cluster=suffix, containerInstances=arns)["containerInstances"]
    types = sorted(next(a["value"] for a in m["attributes"] if a["name"] == "ecs.instance-type") for m in members)
    assert types == ["t3.medium", "t3.medium"], types
    states = {i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=sorted(old))["Reservations"]
              for i in r["Instances"]}
    assert states == {"terminated"}
    stopped = ecs.list_tasks(cluster=suffix, desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=suffix, tasks=stopped)["tasks"] if stopped else []
    assert [t["taskArn"] for t in tasks if t.get("stopCode") == "TerminationNotice"] == []
    [group] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{suffix}-ecs"])["AutoScalingGroups"]
    assert (group["DesiredCapacity"], group["MaxSize"]) == (2, 4)
    assert "reconciler:roll" not in {t["Key"] for t in group["Tags"]}
    service = ecs.describe_services(cluster=suffix, services=[f"{suffix}-web"])["services"][0]
    assert service["runningCount"] == 4


def test_sigkill_mid_roll_then_the_rerun_finishes_it(sandbox: dict[str, str], tmp_path: Path) -> None:
    with killing_proxy(sandbox["AWS_ENDPOINT_URL"]) as (url, switch):
        through_proxy = {**sandbox, "AWS_ENDPOINT_URL": url}
        calls: list[str] = []
        for index, operation in enumerate((None, *KILL_AFTER)):
            suffix = f"roll{index}"
            path = named(tmp_path, suffix)
            made = subprocess.run(apply_args(path), env=sandbox, capture_output=True, text=True, timeout=300)
            assert made.returncode == 0, made.stdout + made.stderr
            ecs = client(sandbox, "ecs")
            arns = ecs.list_container_instances(cluster=suffix)["containerInstanceArns"]
            old = {m["ec2InstanceId"] for m in ecs.describe_container_instances(
                cluster=suffix, containerInstances=arns)["containerInstances"]}
            roll = subprocess.Popen(apply_args(path, "--var", "INSTANCE_TYPE=t3.medium"), env=through_proxy,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if operation is None:  # the first roll records its calls: where each kill point is
                switch.arm(roll.pid, None)
                assert roll.wait(300) == 0
                calls = list(switch.mutations)
            else:
                switch.arm(roll.pid, calls.index(operation) + 1)
                assert roll.wait(300) == -9, f"not killed after {operation}"
                assert switch.killed_after == operation
                rerun = subprocess.run(apply_args(path, "--var", "INSTANCE_TYPE=t3.medium"), env=sandbox,
                                       capture_output=True, text=True, timeout=300)
                assert rerun.returncode == 0, f"after {operation}: {rerun.stdout}{rerun.stderr}"
            check(sandbox, suffix, old)
        assert set(KILL_AFTER) <= set(calls), calls
