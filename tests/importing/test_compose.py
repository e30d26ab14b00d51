"""`reconciler import --compose`: the book's todobackend compose file (with the ECS CLI's ecs-params.yml)
imports, validates and runs on the sandbox; each compose key maps as the ECS CLI mapped it, or is a warning
with file:line:col."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import loader
from reconciler.errors import ManifestError
from reconciler.importing.compose import ComposeOptions, import_compose

from ..conftest import FIXTURES
from .helpers import apply, plan, write

TODOBACKEND = FIXTURES / "compose" / "todobackend"
SECRETS = {"MYSQL_PASSWORD": "pw", "APP_SECRET_KEY": "k", "DB_MYSQL_ROOT_PASSWORD": "root"}


def todobackend(tmp_path: Path, **options: Any) -> tuple[Any, Path]:
    source = tmp_path / "todobackend"
    shutil.copytree(TODOBACKEND, source)
    return import_compose(str(source / "docker-compose.yml"), ComposeOptions(**options)), source


def compose(tmp_path: Path, text: str, params: str | None = None, **options: Any) -> Any:
    (tmp_path / "docker-compose.yml").write_text(text)
    if params is not None:
        (tmp_path / "ecs-params.yml").write_text(params)
    return import_compose(str(tmp_path / "docker-compose.yml"), ComposeOptions(**options))


def spec(result: Any, kind: str) -> dict[str, Any]:
    [doc] = [d for d in result.documents if d.kind.value == kind]
    return dict(doc.spec)


def containers(result: Any) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in spec(result, "TaskDefinition")["containerDefinitions"]}


def where(result: Any) -> dict[str, str]:
    """Each warning's message by its `file-name:line:col`."""
    return {f"{Path(w.file).name}:{w.line}:{w.column}": w.message for w in result.warnings}


def test_todobackend_maps_as_the_ecs_cli_did(tmp_path: Path) -> None:
    """One task definition (the project) with the app and db containers, one Fargate service, ecs-params
    giving the task size, roles and network."""
    result, _ = todobackend(tmp_path)
    assert [d.label for d in result.documents] == [
        "Cluster/todobackend", "TaskDefinition/todobackend", "Service/todobackend/todobackend"]
    task = spec(result, "TaskDefinition")
    assert (task["networkMode"], task["cpu"], task["memory"], task["requiresCompatibilities"]) == (
        "awsvpc", "512", "1024", ["FARGATE"])  # task_size mem_limit 1GB -> 1024 MiB
    assert task["executionRoleArn"] == "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    assert task["volumes"] == [{"name": "public"}, {"name": "mysql-data"}]
    app, db = containers(result)["app"], containers(result)["db"]
    assert app["image"] == ("${ECR_REGISTRY:-123456789012.dkr.ecr.us-east-1.amazonaws.com}/docker-in-aws/"
                            "todobackend:${APP_VERSION:-latest}")  # compose interpolation -> manifest variables
    assert (app["cpu"], app["memory"]) == (256, 512)  # cpu_shares, mem_limit 512m
    assert app["portMappings"] == [{"containerPort": 8000}]
    assert app["dependsOn"] == [{"containerName": "db", "condition": "HEALTHY"}]
    assert app["healthCheck"] == {"command": ["CMD-SHELL", "curl -fs localhost:8000"], "interval": 10,
                                  "timeout": 5, "retries": 10, "startPeriod": 60}
    assert app["mountPoints"] == [{"sourceVolume": "public", "containerPath": "/public"}]
    assert app["logConfiguration"]["options"]["awslogs-stream-prefix"] == "app"
    env = {e["name"]: e["value"] for e in app["environment"]}
    assert env["LOG_LEVEL"] == "info" and env["STATIC_ROOT"] == "/public"  # from env_file
    assert env["DEBUG"] == "false" and env["MYSQL_PASSWORD"] == "${MYSQL_PASSWORD}"
    assert db["memoryReservation"] == 384  # ecs-params wins over compose's 256m
    assert db["healthCheck"]["command"] == ["CMD-SHELL", "mysqlshow -u $MYSQL_USER -p$MYSQL_PASSWORD"]  # $$ -> $
    assert "essential" not in app and "essential" not in db
    service = spec(result, "Service")
    assert service == {"cluster": "todobackend", "taskDefinition": "todobackend", "desiredCount": 2,
                       "launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {
                           "subnets": ["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"],
                           "securityGroups": ["sg-0a0a0a0a0a0a0a0a1"], "assignPublicIp": "DISABLED"}}}


def test_todobackend_warns_about_what_does_not_map_with_file_and_line(tmp_path: Path) -> None:
    result, _ = todobackend(tmp_path)
    found = where(result)
    assert found["docker-compose.yml:13:5"].startswith("`build` is not run")
    assert found["docker-compose.yml:55:5"].startswith("`restart`: an ECS service replaces tasks")
    assert found["docker-compose.yml:73:5"].startswith("`container_name`")
    assert "volume 'mysql-data' is task storage" in found["docker-compose.yml:67:9"]
    assert len(found) == 5


def test_todobackend_imports_validates_and_runs_with_both_containers(aws: Any, tmp_path: Path) -> None:
    """Done when: it imports, validates, applies, and the service's tasks run the app and the db."""
    result, _ = todobackend(tmp_path)
    out = tmp_path / "out"
    variables = write(result, out, escape=False)
    assert variables == {"APP_SECRET_KEY": "insecure-dev-only-key",
                         "DB_MYSQL_ROOT_PASSWORD": "root-password-for-local-runs"}
    text = "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert "insecure-dev-only-key" not in text and "root-password-for-local-runs" not in text
    assert len(loader.load([str(out)], SECRETS).manifests) == 3
    apply(aws, out, SECRETS)
    assert not plan(aws, out, SECRETS).has_changes
    tasks = aws.ecs.describe_tasks("todobackend", aws.ecs.list_tasks("todobackend", service="todobackend"))
    assert len(tasks) == 2
    assert all(t["lastStatus"] == "RUNNING" and sorted(c["name"] for c in t["containers"]) == ["app", "db"]
               for t in tasks)


def test_split_makes_one_service_per_compose_service_and_both_run(aws: Any, tmp_path: Path) -> None:
    result, _ = todobackend(tmp_path, split=True, project="todo", cluster="apps")
    assert [d.label for d in result.documents] == [
        "Cluster/apps", "TaskDefinition/todo-app", "Service/apps/app", "TaskDefinition/todo-db", "Service/apps/db"]
    assert "dependsOn" not in containers_of(result, "todo-app")["app"]
    assert any(w.message.startswith("depends_on db: with --split") for w in result.warnings)
    out = tmp_path / "out"
    write(result, out, escape=False)
    apply(aws, out, SECRETS)
    services = aws.ecs.describe_services("apps", ["app", "db"])
    assert {n: (s["runningCount"], s["desiredCount"]) for n, s in services.items()} == {"app": (2, 2), "db": (1, 1)}


def containers_of(result: Any, family: str) -> dict[str, dict[str, Any]]:
    [doc] = [d for d in result.documents if d.label == f"TaskDefinition/{family}"]
    return {c["name"]: c for c in doc.spec["containerDefinitions"]}


EC2_COMPOSE = """\
services:
  web:
    image: nginx:1.27
    ports: ["8080:80", "443", "127.0.0.1:53:53/udp"]
    links: [cache]
    mem_limit: 268435456
    cpus: 0.5
    volumes:
      - /var/log/nginx:/var/log/nginx:ro
      - ./site:/usr/share/nginx/html
      - /scratch
      - /var/log-nginx:/other
      - type: tmpfs
        target: /run
    tmpfs: /tmp:size=64m
    ulimits:
      nofile: {soft: 1024, hard: 4096}
      nproc: 512
    cap_add: [NET_ADMIN]
    labels: [com.example.team=web]
    extra_hosts: ["db.internal:10.0.0.5"]
    stop_grace_period: 1m30s
    entrypoint: /docker-entrypoint.sh
    command: nginx -g 'daemon off;'
    deploy:
      replicas: 3
      update_config: {parallelism: 1}
    platform: linux/arm64
    pull_policy: always
  cache:
    image: redis:7
    deploy:
      resources:
        limits: {cpus: "0.25", memory: 128M}
        reservations: {memory: 64M}
  agent:
    build: ./agent
    deploy: {mode: global}
    logging: {driver: loki}
"""


def test_ec2_bridge_mapping_and_warnings(tmp_path: Path) -> None:
    """No ecs-params: EC2 and the bridge network, as the ECS CLI defaulted."""
    result = compose(tmp_path, EC2_COMPOSE, project="site")
    task, service = spec(result, "TaskDefinition"), spec(result, "Service")
    assert "networkMode" not in task and "requiresCompatibilities" not in task
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    assert task["volumes"] == [{"name": "var-log-nginx", "host": {"sourcePath": "/var/log/nginx"}},
                               {"name": "scratch"},
                               {"name": "var-log-nginx-2", "host": {"sourcePath": "/var/log-nginx"}}]
    web, cache, agent = (containers(result)[n] for n in ("web", "cache", "agent"))
    assert web["portMappings"] == [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 443},
                                   {"containerPort": 53, "hostPort": 53, "protocol": "udp"}]
    assert (web["memory"], web["cpu"], web["links"]) == (256, 512, ["cache"])
    assert web["mountPoints"] == [
        {"sourceVolume": "var-log-nginx", "containerPath": "/var/log/nginx", "readOnly": True},
        {"sourceVolume": "scratch", "containerPath": "/scratch"},
        {"sourceVolume": "var-log-nginx-2", "containerPath": "/other"}]
    assert web["entryPoint"] == ["/docker-entrypoint.sh"] and web["command"] == ["nginx", "-g", "daemon off;"]
    assert web["ulimits"] == [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096},
                              {"name": "nproc", "softLimit": 512, "hardLimit": 512}]
    assert web["linuxParameters"] == {"capabilities": {"add": ["NET_ADMIN"]},
                                      "tmpfs": [{"containerPath": "/tmp", "size": 64}]}
    assert web["dockerLabels"] == {"com.example.team": "web"}
    assert web["extraHosts"] == [{"hostname": "db.internal", "ipAddress": "10.0.0.5"}]
    assert web["stopTimeout"] == 90
    assert (cache["cpu"], cache["memory"], cache["memoryReservation"]) == (256, 128, 64)
    assert agent["image"] == "${AGENT_IMAGE}" and agent["memory"] == 512 and "logConfiguration" not in agent
    assert service["schedulingStrategy"] == "DAEMON" and "desiredCount" not in service
    assert service["launchType"] == "EC2"
    messages = "\n".join(w.message for w in result.warnings)
    for expected in ("host IP 127.0.0.1", "bind mount ./site: a path on your machine", "tmpfs /run: use `tmpfs:`",
                     "deploy.update_config: not mapped", "`pull_policy`: not mapped to ECS",
                     "no `image`: build and push it", "log driver 'loki'",
                     "no mem_limit or mem_reservation (and no task size): memory 512 MiB"):
        assert expected in messages
    loader_check(tmp_path, result, {"AGENT_IMAGE": "agent:1"})


def loader_check(tmp_path: Path, result: Any, variables: dict[str, str]) -> None:
    out = tmp_path / "out"
    write(result, out, escape=False)
    loaded = loader.load([str(out)], variables)
    assert len(loaded.manifests) == len(result.documents)


def test_awsvpc_limits_are_warned_not_written(tmp_path: Path) -> None:
    result = compose(tmp_path, """\
services:
  web:
    image: nginx
    ports: ["8080:80"]
    hostname: web
    links: [other]
    privileged: true
  other: {image: busybox}
""", """\
version: 1
task_definition:
  ecs_network_mode: awsvpc
  task_size: {cpu_limit: 256, mem_limit: 512}
  services:
    ghost: {essential: false}
  bogus: 1
run_params:
  network_configuration:
    awsvpc_configuration:
      subnets: [subnet-1]
  service_discovery: {}
""")
    web = containers(result)["web"]
    assert web["portMappings"] == [{"containerPort": 80}]
    assert "hostname" not in web and "links" not in web and "privileged" not in web
    found = where(result)
    assert "in awsvpc mode the host port is the container port" in found["docker-compose.yml:4:13"]
    assert found["docker-compose.yml:5:5"] == "`hostname` is not available in the awsvpc network mode: not mapped"
    assert found["docker-compose.yml:6:5"] == "`links` is not available in the awsvpc network mode: not mapped"
    assert found["ecs-params.yml:6:5"].startswith("task_definition.services.ghost: no such service")
    assert found["ecs-params.yml:7:3"].startswith("`bogus` is not an ecs-params.yml field")
    assert found["ecs-params.yml:12:3"].startswith("service_discovery (Cloud Map) is not mapped")
    assert "`privileged` is not available on FARGATE" in found["docker-compose.yml:7:5"]


def test_secret_values_and_defaults_are_masked(tmp_path: Path) -> None:
    result = compose(tmp_path, """\
services:
  api:
    image: api
    environment:
      - API_TOKEN=abc
      - DB_PASSWORD=${DB_PASSWORD:-devpass}
      - SESSION_SECRET
      - PLAIN=${PLAIN:-ok}
""")
    out = tmp_path / "out"
    variables = write(result, out, escape=False)
    env = {e["name"]: e["value"] for e in containers(result)["api"]["environment"]}
    assert env == {"API_TOKEN": "${API_API_TOKEN}", "DB_PASSWORD": "${DB_PASSWORD}",
                   "SESSION_SECRET": "${SESSION_SECRET}", "PLAIN": "${PLAIN:-ok}"}
    assert variables == {"API_API_TOKEN": "abc"}
    assert "devpass" not in "".join(p.read_text() for p in out.rglob("*.yaml"))


def test_a_compose_file_that_is_not_one_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not a compose file: no `services`"):
        compose(tmp_path, "version: '3'\n")
    with pytest.raises(ManifestError, match=r"docker-compose.yml:3:1: cannot parse: while parsing a flow sequence"):
        compose(tmp_path, "services:\n  web: [unclosed\n")


def test_invalid_values_are_reported_as_errors_of_the_document(tmp_path: Path) -> None:
    """A value AWS would refuse (an assign_public_ip that is not ENABLED/DISABLED) fails the import."""
    with pytest.raises(ManifestError, match=r"Service/x/x: spec\.networkConfiguration\.awsvpcConfiguration\."
                                            r"assignPublicIp"):
        compose(tmp_path, "services:\n  web: {image: nginx}\n", """\
task_definition: {ecs_network_mode: awsvpc}
run_params: {network_configuration: {awsvpc_configuration: {subnets: [s], assign_public_ip: "yes"}}}
""", project="x")


def test_written_yaml_reads_back_as_the_imported_spec(tmp_path: Path) -> None:
    result, _ = todobackend(tmp_path)
    out = tmp_path / "out"
    write(result, out, escape=False)
    text = (out / "clusters/todobackend/todobackend/taskdef.yaml").read_text()
    document = yaml.safe_load(text)
    assert document["spec"]["containerDefinitions"][1]["healthCheck"]["command"][1] == (
        "mysqlshow -u $MYSQL_USER -p$MYSQL_PASSWORD")
    assert text.startswith("# yaml-language-server: $schema=../../../reconciler.schema.json\n"
                           "# Imported by `reconciler import` from ")


def test_anchors_shared_by_services_are_interpolated_once(tmp_path: Path) -> None:
    """`<<: *common` shares one map between services: `$$HOME` is the literal `$HOME` in both, not `${HOME}`
    in the second."""
    result = compose(tmp_path, """\
x-common: &common
  image: busybox
  environment:
    PRICE: "$$HOME pays $$5 ${CURRENCY:-EUR}"
services:
  a:
    <<: *common
    command: echo a
  b:
    <<: *common
    command: echo b
""")
    for name in ("a", "b"):
        assert containers(result)[name]["environment"] == [
            {"name": "PRICE", "value": "$HOME pays $5 ${CURRENCY:-EUR}"}]
    assert [w for w in result.warnings if "x-common" in w.message] == []
