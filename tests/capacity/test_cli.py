"""The issue's "done when", as a user meets it: the `reconciler` command against a `reconciler sandbox` process.

From the shipped example of the ECS chapter's cluster: apply (exit 0), both instances registered and 4 tasks running,
the plan then empty; InstanceType changed and applied: both instances replaced while the service's running count,
sampled throughout from outside with boto3, never drops below 4; every container instance of the new type, the old
instances deregistered and terminated, the plan empty; `status` lists the container instances; removing it all with
`--prune` drains and deletes in reverse order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ..conftest import REGION
from ..sandbox_process import sandbox_process
from .helpers import chapter, edit

pytestmark = pytest.mark.server
CLI = str(Path(sys.executable).parent / "reconciler")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    with sandbox_process("0.05") as env:
        yield env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    if args and args[0] == "apply":
        args = (*args, "--poll", "0.2s")
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def client(env: dict[str, str], service: str) -> Any:
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def members(env: dict[str, str]) -> list[dict[str, Any]]:
    ecs = client(env, "ecs")
    arns = ecs.list_container_instances(cluster="chapter")["containerInstanceArns"]
    return ecs.describe_container_instances(cluster="chapter", containerInstances=arns)[
        "containerInstances"] if arns else []


def types(env: dict[str, str]) -> list[str]:
    return sorted(next(a["value"] for a in m["attributes"] if a["name"] == "ecs.instance-type") for m in members(env))


class Sampler:
    """The service's running count, sampled from outside every 50 ms while an apply runs."""

    def __init__(self, env: dict[str, str]) -> None:
        self.ecs = client(env, "ecs")
        self.samples: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            service = self.ecs.describe_services(cluster="chapter", services=["chapter-web"])["services"][0]
            self.samples.append(int(service["runningCount"]))
            self.stop.wait(0.05)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def test_the_chapter_cluster_from_apply_to_instance_replacement_to_prune(sandbox: dict[str, str],
                                                                        tmp_path: Path) -> None:
    path = str(chapter(tmp_path))
    first = run(sandbox, "apply", path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Live state matches the manifests." in first.stdout
    assert types(sandbox) == ["t3.small", "t3.small"]
    ecs = client(sandbox, "ecs")
    assert ecs.describe_services(cluster="chapter", services=["chapter-web"])["services"][0]["runningCount"] == 4
    assert run(sandbox, "plan", path, "--detailed-exitcode").returncode == 0
    old = {m["ec2InstanceId"] for m in members(sandbox)}

    with Sampler(sandbox) as sampler:
        rolled = run(sandbox, "apply", path, "--var", "INSTANCE_TYPE=t3.medium")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert len(sampler.samples) > 10 and min(sampler.samples) >= 4, sampler.samples
    assert "replaced 2 instance(s), each drained first" in rolled.stdout
    assert "AutoScalingGroup/chapter-ecs: 2 old, 2 new (2 registered), 1 draining" in rolled.stdout  # progress
    assert types(sandbox) == ["t3.medium", "t3.medium"]
    assert not {m["ec2InstanceId"] for m in members(sandbox)} & old
    described = client(sandbox, "ec2").describe_instances(InstanceIds=sorted(old))["Reservations"]
    assert {i["State"]["Name"] for r in described for i in r["Instances"]} == {"terminated"}
    assert run(sandbox, "plan", path, "--detailed-exitcode", "--var", "INSTANCE_TYPE=t3.medium").returncode == 0

    status = run(sandbox, "status", path, "-o", "json", "--var", "INSTANCE_TYPE=t3.medium")
    assert status.returncode == 0, status.stderr
    [cluster] = [r for r in json.loads(status.stdout)["resources"] if r["kind"] == "Cluster"]
    assert sorted((i["instanceType"], i["status"], i["agentConnected"], i["capacityProvider"])
                  for i in cluster["instances"]) == [("t3.medium", "ACTIVE", True, "chapter-ec2")] * 2
    assert sum(i["runningTasks"] for i in cluster["instances"]) == 4

    empty = tmp_path / "empty"
    empty.mkdir()
    pruned = run(sandbox, "apply", str(empty), "--prune", "--allow-empty")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    order = [line.split()[1].rstrip(":") for line in pruned.stdout.splitlines() if line.strip().startswith("applied")]
    assert order == ["Service/chapter/chapter-web", "TaskDefinition/chapter-web:1", "Cluster/chapter",
                     "CapacityProvider/chapter-ec2", "AutoScalingGroup/chapter-ecs", "LaunchTemplate/chapter-ecs",
                     "InstanceProfile/chapter-ecs-instance", "Role/chapter-ecs-instance"], pruned.stdout
    assert client(sandbox, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_a_drain_that_cannot_finish_fails_the_apply_naming_the_task(sandbox: dict[str, str], tmp_path: Path) -> None:
    """Through the CLI: exit 1, the task that would not move named on stderr/stdout, no old instance terminated;
    once room exists (the manifest back on t3.small), a re-run finishes the roll it left and the plan is empty."""
    path = chapter(tmp_path, name="stuck")
    for file, old, new in (("web-taskdef.yaml", "memory: 256", "memory: 1500"),
                           ("web-service.yaml", "desiredCount: 4", "desiredCount: 2"),
                           ("auto-scaling-group.yaml", "drain-timeout: 10m", "drain-timeout: 2s")):
        edit(path / file, old, new)
    for file in path.glob("*.yaml"):  # its own names: the module shares one sandbox
        text = file.read_text().replace("chapter", "stuck")
        file.write_text(text)
    assert run(sandbox, "apply", str(path)).returncode == 0
    ec2 = client(sandbox, "ec2")
    before = [i for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["stuck-ecs"]}])[
        "Reservations"] for i in r["Instances"] if i["State"]["Name"] == "running"]
    failed = run(sandbox, "apply", str(path), "--var", "INSTANCE_TYPE=t3.micro")
    assert failed.returncode == 1
    output = failed.stdout + failed.stderr
    assert "DrainContainerInstance: Timeout" in output and "of service stuck-web (RUNNING)" in output
    assert "the instances stay DRAINING and were not terminated" in output
    states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(
        InstanceIds=[i["InstanceId"] for i in before])["Reservations"] for i in r["Instances"]}
    assert set(states.values()) == {"running"}
    time.sleep(0.2)
    back = run(sandbox, "apply", str(path))
    assert back.returncode == 0, back.stdout + back.stderr
    assert run(sandbox, "plan", str(path), "--detailed-exitcode").returncode == 0
