"""The `reconciler` command as a user runs it: a `reconciler sandbox` process, and the CLI talking to it
over HTTP through AWS_ENDPOINT_URL. Checks stdout/stderr separation, exit codes and convergence."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from .conftest import MANIFESTS, REGION
from .sandbox_process import sandbox_process

pytestmark = pytest.mark.server
CLI = str(Path(sys.executable).parent / "reconciler")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    """One `reconciler sandbox` process for the module; tests use their own resource names."""
    with sandbox_process("0.05") as env:
        yield env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    if args and args[0] == "apply":
        args = (*args, "--poll", "0.2s")
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=300)


def ecs(env: dict[str, str]) -> object:
    return boto3.client("ecs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def named(tmp_path: Path, suffix: str) -> Path:
    """The example manifests with every name made unique to one test."""
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    for path in target.glob("*.yaml"):
        text = path.read_text().replace("name: web\n", f"name: web-{suffix}\n")
        text = text.replace("name: demo\n", f"name: demo-{suffix}\n")
        text = text.replace("cluster: demo\n", f"cluster: demo-{suffix}\n")
        text = text.replace("taskDefinition: web\n", f"taskDefinition: web-{suffix}\n")
        text = text.replace(".amazonaws.com/web:", f".amazonaws.com/web-{suffix}:")
        text = text.replace("runBefore: [web]", f"runBefore: [web-{suffix}]")
        path.write_text(text)
    return target


def test_plan_apply_plan_over_http(sandbox: dict[str, str], tmp_path: Path) -> None:
    """plan (exit 2 with changes) -> apply (exit 0) -> plan (exit 0, all noop); JSON only on stdout."""
    m = str(named(tmp_path, "a"))
    first = run(sandbox, "plan", m, "-o", "json", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    doc = json.loads(first.stdout)
    assert doc["summary"]["create"] == 5 and {c["action"] for c in doc["changes"]} == {"create"}
    assert '"event"' in first.stderr  # logs are JSON lines on stderr when not a terminal
    applied = run(sandbox, "apply", m)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Live state matches the manifests." in applied.stdout
    second = run(sandbox, "plan", m, "-o", "json", "--detailed-exitcode")
    assert second.returncode == 0, second.stdout
    assert {c["action"] for c in json.loads(second.stdout)["changes"]} == {"noop"}
    again = run(sandbox, "apply", m)
    assert again.returncode == 0 and "No changes." in again.stdout


def test_update_plan_names_the_field_in_every_format(sandbox: dict[str, str], tmp_path: Path) -> None:
    """A changed desiredCount shows as one update in text, JSON and markdown."""
    m = named(tmp_path, "b")
    assert run(sandbox, "apply", str(m)).returncode == 0
    path = m / "web-service.yaml"
    path.write_text(path.read_text().replace("desiredCount: 2", "desiredCount: 4"))
    doc = json.loads(run(sandbox, "plan", str(m), "-o", "json").stdout)
    [change] = [c for c in doc["changes"] if c["action"] != "noop"]
    assert change["kind"] == "Service" and change["action"] == "update"
    assert change["fields"] == [{"path": "desiredCount", "before": 2, "after": 4}]
    text = run(sandbox, "plan", str(m)).stdout
    assert "~ Service/demo-b/web-b" in text and "desiredCount: 2 → 4" in text
    assert "Plan: 0 to create, 1 to update" in text
    markdown = run(sandbox, "plan", str(m), "-o", "markdown").stdout
    assert "### reconciler plan" in markdown and "`desiredCount`" in markdown
    assert run(sandbox, "apply", str(m)).returncode == 0
    [service] = ecs(sandbox).describe_services(cluster="demo-b", services=["web-b"])["services"]  # type: ignore[attr-defined]
    assert service["desiredCount"] == 4


def test_bad_input_exits_1_names_the_file_and_changes_nothing(sandbox: dict[str, str], tmp_path: Path) -> None:
    """validate, plan and apply all refuse a malformed manifest before any AWS call."""
    (tmp_path / "broken.yaml").write_text("apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n"
                                          "  name: x\nspec:\n  containerDefinitions:\n    - name: web\n"
                                          "     image: nginx\n")
    before = ecs(sandbox).list_task_definitions()["taskDefinitionArns"]  # type: ignore[attr-defined]
    for verb in ("validate", "plan", "apply"):
        result = run(sandbox, verb, str(tmp_path))
        assert result.returncode == 1, verb
        assert "broken.yaml:8:" in result.stderr and result.stdout == ""
    assert ecs(sandbox).list_task_definitions()["taskDefinitionArns"] == before  # type: ignore[attr-defined]


def test_dangling_reference_refuses_apply(sandbox: dict[str, str], tmp_path: Path) -> None:
    """A service naming a cluster that exists nowhere: plan exit 1, apply exit 1, nothing created."""
    (tmp_path / "s.yaml").write_text("apiVersion: reconciler/v1\nkind: Service\nmetadata:\n  name: orphan\n"
                                     "spec:\n  cluster: nowhere\n  taskDefinition: nope\n")
    plan = run(sandbox, "plan", str(tmp_path))
    assert plan.returncode == 1 and "cluster 'nowhere'" in plan.stdout
    apply = run(sandbox, "apply", str(tmp_path))
    assert apply.returncode == 1 and "nothing was applied" in apply.stderr


def test_unset_variable_and_var_flag(sandbox: dict[str, str], tmp_path: Path) -> None:
    """${VAR} without a value fails with its place; --var provides it."""
    (tmp_path / "c.yaml").write_text("apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n"
                                     "  name: ${CLUSTER_NAME}\nspec: {}\n")
    missing = run(sandbox, "plan", str(tmp_path))
    assert missing.returncode == 1 and "c.yaml:4:9" in missing.stderr and "${CLUSTER_NAME}" in missing.stderr
    given = run(sandbox, "plan", str(tmp_path), "--var", "CLUSTER_NAME=from-var", "-o", "json")
    assert given.returncode == 0
    assert json.loads(given.stdout)["changes"][0]["name"] == "from-var"


def test_schema_is_json_schema_of_every_kind() -> None:
    """`reconciler schema` prints a JSON Schema covering all kinds."""
    result = subprocess.run([CLI, "schema"], capture_output=True, text=True, timeout=120)
    schema = json.loads(result.stdout)
    assert result.returncode == 0 and "$defs" in schema
    kinds = {"RepositoryManifest", "ClusterManifest", "TaskDefinitionManifest", "ServiceManifest"}
    assert kinds <= set(schema["$defs"])


def test_help_teaches() -> None:
    """--help lists the commands and examples; plan --help documents exit codes."""
    top = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=60).stdout
    for word in ("validate", "plan", "apply", "schema", "sandbox", "examples:"):
        assert word in top
    plan = subprocess.run([CLI, "plan", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--detailed-exitcode" in plan and "exit codes" in plan


def test_crash_rolls_back_status_shows_it_and_manual_rollback(sandbox: dict[str, str], tmp_path: Path) -> None:
    """Over HTTP: a crashing image fails apply (exit 1) with the stopped-task reason and ECS's rollback;
    status reports the change held; `rollback` goes back to the last revision that rolled out well,
    skipping the one that crashed."""
    m = named(tmp_path, "c")
    (m / "migrate-task.yaml").unlink()
    env = dict(sandbox)
    assert run(env, "apply", str(m)).returncode == 0
    healthy = run(env, "status", str(m), "-o", "json")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    rows = {r["kind"] + "/" + r["name"]: r for r in json.loads(healthy.stdout)["resources"]}
    assert rows["Service/demo-c/web-c"]["health"] == "healthy" and rows["Service/demo-c/web-c"]["sync"] == "in-sync"
    env["IMAGE_TAG"] = "9-crash"
    failed = run(env, "apply", str(m))
    assert failed.returncode == 1
    assert "Essential container in task exited" in failed.stdout and "ECS rolled back to web-c:1" in failed.stdout
    status = run(env, "status", str(m), "-o", "json")
    rows = {r["kind"] + "/" + r["name"]: r for r in json.loads(status.stdout)["resources"]}
    assert status.returncode == 1 and rows["Service/demo-c/web-c"]["sync"] == "held"
    env["IMAGE_TAG"] = "10"
    assert run(env, "apply", str(m)).returncode == 0
    back = run(env, "rollback", "demo-c/web-c", "--poll", "0.2s")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "web-c:3 to web-c:1" in back.stdout  # web-c:2 crashed: the last good one before web-c:3 is 1
    [service] = ecs(sandbox).describe_services(cluster="demo-c", services=["web-c"])["services"]  # type: ignore[attr-defined]
    assert service["taskDefinition"].endswith("web-c:1")


def test_no_wait_returns_after_the_api_calls(sandbox: dict[str, str], tmp_path: Path) -> None:
    """--no-wait: exit 0 once the service was updated, without waiting for its rollout."""
    m = named(tmp_path, "d")
    result = run(sandbox, "apply", str(m), "--no-wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Not waiting for 1 rollout(s) (--no-wait)" in result.stdout and "rolled out" not in result.stdout


def test_saved_plan_is_applied_only_while_it_is_still_the_plan(sandbox: dict[str, str], tmp_path: Path) -> None:
    """plan --out then apply FILE works; after a manifest edit or a live change the file is refused."""
    m = named(tmp_path, "e")
    saved = tmp_path / "plan.json"
    planned = run(sandbox, "plan", str(m), "--out", str(saved), "-o", "json")
    assert planned.returncode == 0 and json.loads(saved.read_text())["format"] == "reconciler-plan/v1"
    applied = run(sandbox, "apply", str(saved))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Applying the saved plan" in applied.stdout
    path = m / "web-service.yaml"
    path.write_text(path.read_text().replace("desiredCount: 2", "desiredCount: 3"))
    assert run(sandbox, "plan", str(m), "--out", str(saved)).returncode == 0
    path.write_text(path.read_text().replace("desiredCount: 3", "desiredCount: 4"))
    stale = run(sandbox, "apply", str(saved))
    assert stale.returncode == 1 and "stale: the manifests changed" in stale.stderr
    assert run(sandbox, "plan", str(m), "--out", str(saved)).returncode == 0
    ecs(sandbox).update_service(cluster="demo-e", service="web-e", desiredCount=7)  # type: ignore[attr-defined]
    stale = run(sandbox, "apply", str(saved))
    assert stale.returncode == 1 and "stale: live AWS changed" in stale.stderr
    [service] = ecs(sandbox).describe_services(cluster="demo-e", services=["web-e"])["services"]  # type: ignore[attr-defined]
    assert service["desiredCount"] == 7  # nothing was applied from the stale plan
