"""`reconciler import` as a user runs it, against a `reconciler sandbox` process: resources made with the AWS
CLI alone import and round-trip; a compose file imports, validates and runs; describe-task-definition JSON
plans no change. Errors are one clear line, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ..conftest import FIXTURES, REGION
from ..sandbox_process import sandbox_process

pytestmark = pytest.mark.server
BIN = Path(sys.executable).parent
NETWORK = "awsvpcConfiguration={subnets=[subnet-0a0a0a0a0a0a0a0a1],securityGroups=[sg-0a0a0a0a0a0a0a0a1]}"
TODOBACKEND_VARS = ["--var", "MYSQL_PASSWORD=pw", "--var", "APP_SECRET_KEY=k", "--var", "DB_MYSQL_ROOT_PASSWORD=r"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    with sandbox_process("0.05") as env:
        yield env


def run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    program = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    if args[0] == "reconciler" and args[1] == "apply":
        args = (*args, "--poll", "0.2s")
    return subprocess.run([program, *args[1:]], env=env, capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def ecs(env: dict[str, str]) -> Any:
    return boto3.client("ecs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_resources_made_with_the_aws_cli_import_and_round_trip(sandbox: dict[str, str], tmp_path: Path) -> None:
    aws = ("aws",)
    ok(run(sandbox, *aws, "ecs", "create-cluster", "--cluster-name", "clishop",
           "--settings", "name=containerInsights,value=enabled", "--tags", "key=team,value=shop"))
    ok(run(sandbox, *aws, "ecr", "create-repository", "--repository-name", "clishop/web"))
    taskdef = {"family": "clishop-web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512",
               "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
               "containerDefinitions": [{
                   "name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/clishop/web:1.0",
                   "essential": True, "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                   "environment": [{"name": "API_TOKEN", "value": "s3cr3t"}, {"name": "MODE", "value": "${MODE}"}]}]}
    (tmp_path / "web.json").write_text(json.dumps(taskdef))
    ok(run(sandbox, *aws, "ecs", "register-task-definition", "--cli-input-json", f"file://{tmp_path / 'web.json'}"))
    ok(run(sandbox, *aws, "ecs", "register-task-definition", "--family", "clishop-worker", "--container-definitions",
           '[{"name":"worker","image":"busybox:1.36","memory":128,"command":["sleep","3600"]}]'))
    ok(run(sandbox, *aws, "ecs", "create-service", "--cluster", "clishop", "--service-name", "web",
           "--task-definition", "clishop-web", "--desired-count", "2", "--launch-type", "FARGATE",
           "--network-configuration", NETWORK, "--tags", "key=app,value=web"))
    ok(run(sandbox, *aws, "ecs", "create-service", "--cluster", "clishop", "--service-name", "worker",
           "--task-definition", "clishop-worker", "--desired-count", "0", "--launch-type", "EC2"))

    out = tmp_path / "out"
    imported = run(sandbox, "reconciler", "import", "--cluster", "clishop", "-o", str(out))
    assert imported.returncode == 0 and imported.stderr == "", imported.stderr
    assert f"Imported 6 manifests from live AWS (us-east-1) into {out}/:" in imported.stdout
    assert "${WEB_API_TOKEN}" in imported.stdout and "s3cr3t" not in imported.stdout
    assert f"Next: reconciler plan {out}/ --var WEB_API_TOKEN=...   (it shows only the adoption" in imported.stdout
    assert "s3cr3t" not in "".join(p.read_text() for p in out.rglob("*.yaml"))
    secret = ["--var", "WEB_API_TOKEN=s3cr3t"]

    first = run(sandbox, "reconciler", "plan", str(out), *secret, "-o", "json", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    changes = [c for c in json.loads(first.stdout)["changes"] if c["action"] != "noop"]
    assert len(changes) == 6
    assert all(c["action"] == "update" and all(f["path"].startswith("tags[reconciler:") for f in c["fields"])
               for c in changes), changes
    ok(run(sandbox, "reconciler", "apply", str(out), *secret))
    assert run(sandbox, "reconciler", "plan", str(out), *secret, "--detailed-exitcode").returncode == 0


def test_the_todobackend_compose_file_imports_validates_and_runs(sandbox: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "todobackend"
    shutil.copytree(FIXTURES / "compose" / "todobackend", source)
    out = tmp_path / "out"
    imported = run(sandbox, "reconciler", "import", "--compose", str(source / "docker-compose.yml"),
                   "--cluster", "todo-cli", "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    assert f"{source / 'docker-compose.yml'}:55:5: service app: `restart`" in imported.stderr
    assert "Next: reconciler plan" in imported.stdout and "--var MYSQL_PASSWORD=..." in imported.stdout
    assert "root-password-for-local-runs" not in imported.stdout + imported.stderr
    assert "3 manifests valid" in ok(run(sandbox, "reconciler", "validate", str(out), *TODOBACKEND_VARS))
    ok(run(sandbox, "reconciler", "apply", str(out), *TODOBACKEND_VARS, "--timeout", "3m"))
    service = ecs(sandbox).describe_services(cluster="todo-cli", services=["todobackend"])["services"][0]
    assert (service["runningCount"], service["desiredCount"]) == (2, 2)
    assert run(sandbox, "reconciler", "plan", str(out), *TODOBACKEND_VARS, "--detailed-exitcode").returncode == 0


def test_describe_task_definition_json_plans_no_change(sandbox: dict[str, str], tmp_path: Path) -> None:
    ok(run(sandbox, "aws", "ecs", "register-task-definition", "--family", "cli-json", "--network-mode", "bridge",
           "--container-definitions", '[{"name":"app","image":"nginx:1.27","memory":256,"essential":true,'
           '"portMappings":[{"containerPort":80,"hostPort":0}]}]', "--tags", "key=team,value=web"))
    described = ok(run(sandbox, "aws", "ecs", "describe-task-definition", "--task-definition", "cli-json",
                       "--include", "TAGS"))
    (tmp_path / "cli-json.json").write_text(described)
    ok(run(sandbox, "reconciler", "import", "--task-definition", str(tmp_path / "cli-json.json"), "-o",
           str(tmp_path / "as-json"), "--format", "json"))
    written = json.loads((tmp_path / "as-json" / "task-definitions" / "cli-json.json").read_text())
    assert written["spec"] == {"containerDefinitions": [{"name": "app", "image": "nginx:1.27", "memory": 256,
                                                         "portMappings": [{"containerPort": 80}]}],
                               "tags": [{"key": "team", "value": "web"}]}
    # JSON manifests are read as they are: plan on the JSON output shows no change against its revision.
    assert run(sandbox, "reconciler", "plan", str(tmp_path / "as-json"), "--detailed-exitcode").returncode == 0
    out = tmp_path / "out"
    ok(run(sandbox, "reconciler", "import", "--task-definition", str(tmp_path / "cli-json.json"), "-o", str(out)))
    assert run(sandbox, "reconciler", "plan", str(out), "--detailed-exitcode").returncode == 0


def test_errors_are_one_clear_message(sandbox: dict[str, str], tmp_path: Path) -> None:
    nothing = run(sandbox, "reconciler", "import", "-o", str(tmp_path))
    assert nothing.returncode == 1 and nothing.stderr.startswith("error: nothing to import")
    (tmp_path / "bad.yml").write_text("services:\n  web: [\n")
    bad = run(sandbox, "reconciler", "import", "--compose", str(tmp_path / "bad.yml"), "-o", str(tmp_path / "o"))
    assert bad.returncode == 1 and f"error: {tmp_path / 'bad.yml'}:3:1: cannot parse" in bad.stderr
    missing = run(sandbox, "reconciler", "import", "--cluster", "no-such-cluster", "-o", str(tmp_path / "o"))
    assert missing.returncode == 1 and "error: no such ACTIVE cluster in us-east-1: no-such-cluster" in missing.stderr
    source = FIXTURES / "aws" / "taskdefs" / "web-fargate-basic.json"
    ok(run(sandbox, "reconciler", "import", "--task-definition", str(source), "-o", str(tmp_path / "o")))
    again = run(sandbox, "reconciler", "import", "--task-definition", str(source), "-o", str(tmp_path / "o"))
    assert again.returncode == 1 and "--force" in again.stderr and "web-fargate-basic.yaml" in again.stderr
    mixed = run(sandbox, "reconciler", "import", "--cluster", "x", "--task-definition", str(source), "-o", "o")
    assert mixed.returncode == 1 and "one source at a time" in mixed.stderr
    for result in (nothing, bad, missing, again, mixed):
        assert "Traceback" not in result.stderr
