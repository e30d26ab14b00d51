"""SIGKILL after the k-th mutating call, for every k of a realistic apply (the example manifests: a repository
with its lifecycle policy, a cluster, a task definition and its read-back, a one-off migration and its record, a
service), through a proxy in front of a `reconciler sandbox` process: the call reached AWS, the CLI died before
the answer. The rerun converges, and nothing exists twice: no revision registered twice with the same content,
no second service, no second run of the migration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.model.keys import Kind
from reconciler.planning.loopguard import content_digest, content_of
from reconciler.planning.normalize import canonical

from ..conftest import REGION
from ..sandbox_process import sandbox_process
from ..test_cli import named
from .proxy import killing_proxy

pytestmark = pytest.mark.server
CLI = str(Path(sys.executable).parent / "reconciler")


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with sandbox_process("0.05") as env:
        yield env


def client(env: dict[str, str], service: str) -> Any:
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def apply_args(path: Path) -> list[str]:
    # One request at a time: the k-th mutating call must be the same call in every run to enumerate the crash
    # points (independent changes otherwise go out in either order). Each call's safety does not depend on that
    # order; the concurrent apply under faults is tests/reliability/test_faults.py.
    return [CLI, "apply", str(path), "--poll", "0.2s", "--log-format", "json", "--aws-concurrency", "1"]


def duplicates(env: dict[str, str], suffix: str) -> dict[str, int]:
    ecs = client(env, "ecs")
    family, cluster = f"web-{suffix}", f"demo-{suffix}"
    digests = []
    for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]:
        described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        digests.append(content_digest(content_of(canonical(Kind.TASK_DEFINITION, described))))
    arns = (ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")["taskArns"]
            + ecs.list_tasks(cluster=cluster)["taskArns"])
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    runs = [t for t in tasks if str(t.get("startedBy", "")).startswith("reconciler-")]
    services = ecs.list_services(cluster=cluster)["serviceArns"]
    repositories = [r for r in client(env, "ecr").describe_repositories()["repositories"]
                    if r["repositoryName"] == family]
    counts = {"revisions with the same content": len(digests) - len(set(digests)),
              "extra services": len(services) - 1, "extra migration runs": len(runs) - 1,
              "extra repositories": len(repositories) - 1}
    return {k: v for k, v in counts.items() if v}


def test_sigkill_after_each_mutating_call_then_the_rerun_converges(sandbox: dict[str, str], tmp_path: Path) -> None:
    with killing_proxy(sandbox["AWS_ENDPOINT_URL"]) as (url, switch):
        through_proxy = {**sandbox, "AWS_ENDPOINT_URL": url}
        first = subprocess.Popen(apply_args(named(tmp_path / "all", "all")), env=through_proxy,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        switch.arm(first.pid, None)
        assert first.wait(300) == 0
        calls = list(switch.mutations)
        assert len(calls) >= 8, calls  # the realistic apply: every one of its mutating calls is a crash point
        for k, operation in enumerate(calls, start=1):
            suffix = f"k{k}"
            manifests = named(tmp_path / suffix, suffix)
            victim = subprocess.Popen(apply_args(manifests), env=through_proxy, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            switch.arm(victim.pid, k)
            assert victim.wait(300) == -9, f"k={k}: the apply was not killed"
            assert switch.killed_after == operation, (k, switch.killed_after, operation)
            # apply exits 0 only when its final plan is empty: the rerun converged.
            rerun = subprocess.run(apply_args(manifests), env=sandbox, capture_output=True, text=True, timeout=300)
            assert rerun.returncode == 0, f"k={k} ({operation}): {rerun.stdout}{rerun.stderr}"
            assert "Live state matches the manifests." in rerun.stdout or "No changes." in rerun.stdout
            assert duplicates(sandbox, suffix) == {}, f"k={k}: killed after {operation}"
        print("crash points:", ", ".join(calls))
