"""The validation rules, each on its own: what it refuses (as AWS would) and what it lets through."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import validation
from reconciler.model import shapes
from reconciler.model.keys import Kind
from reconciler.validation import clusters, fargate, limits, repositories, services, taskdefs
from reconciler.validation.issues import Rule

C = {"name": "web", "image": "nginx:1.27", "memory": 128}
FARGATE: dict[str, Any] = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
                           "memory": "512", "containerDefinitions": [C]}


def fg(**changes: Any) -> dict[str, Any]:
    return {**FARGATE, **changes}


def c(**changes: Any) -> dict[str, Any]:
    return {**C, **changes}


TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123456789abcdef"

# (rule, spec, fragment of the message or None when the spec is fine)
CASES: list[tuple[Rule, dict[str, Any], str | None]] = [
    (taskdefs.container_count, FARGATE, None),
    (taskdefs.container_count, fg(containerDefinitions=[]), "at least one container"),
    (taskdefs.container_count, fg(containerDefinitions=[c(name=f"c{i}") for i in range(10)]), None),
    (taskdefs.container_count, fg(containerDefinitions=[c(name=f"c{i}") for i in range(11)]), "at most 10"),
    (taskdefs.container_names, fg(containerDefinitions=[C, c(name="log-router_2")]), None),
    (taskdefs.container_names, fg(containerDefinitions=[C, C]), "duplicate container name 'web'"),
    (taskdefs.container_names, fg(containerDefinitions=[c(name="web.1")]), "invalid container name"),
    (taskdefs.container_names, fg(containerDefinitions=[c(name="x" * 256)]), "invalid container name"),
    (taskdefs.images, fg(containerDefinitions=[c(image="123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b:1.0#x")]),
     None),
    (taskdefs.images, fg(containerDefinitions=[c(image="nginx@sha256:" + "a" * 64)]), None),
    (taskdefs.images, fg(containerDefinitions=[c(image="nginx@sha256:abc")]), "invalid image"),
    (taskdefs.images, fg(containerDefinitions=[c(image="nginx latest")]), "invalid image"),
    (taskdefs.images, fg(containerDefinitions=[c(image="n" * 256)]), "invalid image"),
    (taskdefs.size, fg(containerDefinitions=[c(environment=[{"name": "A", "value": "x" * 70000}])]),
     "ECS takes at most 64 KiB"),
    (taskdefs.essential_container, fg(containerDefinitions=[C, c(name="b", essential=False)]), None),
    (taskdefs.essential_container, fg(containerDefinitions=[c(essential=False)]), "must be essential"),
    (taskdefs.container_references, fg(containerDefinitions=[C, c(name="log", essential=False),
                                                             c(name="app", dependsOn=[{"containerName": "log",
                                                                                       "condition": "COMPLETE"}],
                                                               volumesFrom=[{"sourceContainer": "web"}])]), None),
    (taskdefs.container_references, fg(containerDefinitions=[c(volumesFrom=[{"sourceContainer": "web"}])]),
     "sourceContainer 'web' names no other container"),
    (taskdefs.container_references, fg(containerDefinitions=[C, c(name="b", dependsOn=[
        {"containerName": "web", "condition": "SUCCESS"}])]), "cannot be used on 'web', an essential container"),
    (taskdefs.container_references, fg(containerDefinitions=[C, c(name="b", dependsOn=[
        {"containerName": "web", "condition": "HEALTHY"}])]), "HEALTHY needs a healthCheck"),
    (taskdefs.container_references, {"containerDefinitions": [C, c(name="b", links=["web:db"])]}, None),
    (taskdefs.container_references, {"containerDefinitions": [c(links=["db"])]}, "link 'db' names no other"),
    (taskdefs.volumes, fg(volumes=[{"name": "data"}], containerDefinitions=[
        c(mountPoints=[{"sourceVolume": "data", "containerPath": "/d"}])]), None),
    (taskdefs.volumes, fg(volumes=[{"name": "data"}, {"name": "data"}]), "duplicate volume name 'data'"),
    (taskdefs.volumes, fg(containerDefinitions=[c(mountPoints=[{"sourceVolume": "x", "containerPath": "/x"}])]),
     "sourceVolume 'x' names no volume"),
    (taskdefs.port_mappings, fg(containerDefinitions=[c(portMappings=[{"containerPort": 80, "hostPort": 80,
                                                                       "name": "http"}])]), None),
    (taskdefs.port_mappings, {"containerDefinitions": [c(portMappings=[{"containerPort": 80, "hostPort": 8080}])]},
     None),  # bridge: any host port
    (taskdefs.port_mappings, {"networkMode": "host", "containerDefinitions": [
        c(portMappings=[{"containerPort": 80, "hostPort": 8080}])]}, "hostPort must be left out or equal"),
    (taskdefs.port_mappings, {"networkMode": "none", "containerDefinitions": [
        c(portMappings=[{"containerPort": 80}])]}, "networkMode none allows no port mappings"),
    (taskdefs.port_mappings, fg(containerDefinitions=[c(portMappings=[
        {"containerPort": 53, "protocol": "tcp"}, {"containerPort": 53, "protocol": "udp"}])]), "mapped twice"),
    (taskdefs.port_mappings, fg(containerDefinitions=[C, c(name="b", portMappings=[{"containerPort": 81,
                                                                                    "name": "http"}]),
                                                      c(name="d", portMappings=[{"containerPort": 82,
                                                                                 "name": "http"}])]),
     "duplicate port mapping name 'http'"),
    (taskdefs.port_mappings, fg(containerDefinitions=[c(portMappings=[{"containerPort": 80, "name": "-web"}])]),
     "invalid port mapping name"),
    (taskdefs.port_mappings, fg(containerDefinitions=[c(portMappings=[{"containerPort": 0}])]),
     "containerPort must be a port number"),
    (taskdefs.network_mode_fields, fg(containerDefinitions=[c(hostname="web")]), "hostname is not supported"),
    (taskdefs.network_mode_fields, {"networkMode": "bridge", "containerDefinitions": [c(hostname="web")]}, None),
    (taskdefs.task_size, fg(), None),
    (taskdefs.task_size, fg(cpu="1 vCPU", memory="2 GB"), None),
    (taskdefs.task_size, fg(cpu="4096", memory="30720"), None),
    (taskdefs.task_size, fg(cpu="4096", memory="31744"), "memory must be 8 GB to 30 GB in steps of 1 GB"),
    (taskdefs.task_size, fg(cpu="16384", memory="122880"), None),
    (taskdefs.task_size, fg(cpu="16384", memory="36864"), "in steps of 8 GB"),
    (taskdefs.task_size, fg(cpu="128"), "Fargate has no task size with cpu 128"),
    (taskdefs.task_size, fg(cpu="8192", memory="16384", runtimePlatform={"operatingSystemFamily":
                                                                         "WINDOWS_SERVER_2019_FULL"}),
     "Windows tasks on Fargate need cpu 1024, 2048 or 4096"),
    (taskdefs.task_size, fg(cpu="lots"), "neither CPU units"),
    (taskdefs.task_size, fg(memory="2 TB"), "neither MiB"),
    (taskdefs.task_size, {"cpu": "128", "containerDefinitions": [C]}, None),  # EC2: 128 units is fine
    (taskdefs.task_size, {"cpu": "64", "containerDefinitions": [C]}, "between 128 and 196608"),
    (taskdefs.task_size, {k: v for k, v in FARGATE.items() if k != "memory"}, "Fargate needs task-level memory"),
    (taskdefs.container_resources, {"containerDefinitions": [c(memory=None, memoryReservation=64)]}, None),
    (taskdefs.container_resources, {"containerDefinitions": [{"name": "a", "image": "x"}]},
     "every container needs memory or memoryReservation"),
    (taskdefs.container_resources, fg(containerDefinitions=[c(memory=128, memoryReservation=256)]),
     "may not exceed memory"),
    (taskdefs.container_resources, fg(containerDefinitions=[c(memory=2)]), "at least 4 MiB"),
    (taskdefs.container_resources, fg(containerDefinitions=[C, c(name="b", memoryReservation=400, memory=None)]),
     "reserve 528 MiB, more than the task's 512"),
    (taskdefs.container_resources, fg(containerDefinitions=[c(cpu=300)]), "cpu adds up to 300"),
    (taskdefs.fargate_support, fg(networkMode="bridge"), "Fargate needs networkMode awsvpc"),
    (taskdefs.fargate_support, fg(pidMode="task"), None),
    (taskdefs.fargate_support, fg(pidMode="host"), "pidMode on Fargate can only be task"),
    (taskdefs.fargate_support, fg(ipcMode="task"), "ipcMode is not supported on Fargate"),
    (taskdefs.fargate_support, fg(containerDefinitions=[c(linuxParameters={"sharedMemorySize": 64})]),
     "sharedMemorySize is not supported on Fargate"),
    (taskdefs.fargate_support, fg(volumes=[{"name": "v", "host": {"sourcePath": "/data"}}]), "host sourcePath"),
    (taskdefs.fargate_support, fg(volumes=[{"name": "v", "dockerVolumeConfiguration": {}}]), "Docker volumes"),
    (taskdefs.fargate_support, fg(ephemeralStorage={"sizeInGiB": 21}), None),
    (taskdefs.fargate_support, fg(ephemeralStorage={"sizeInGiB": 20}), "21 to 200 GiB"),
    (taskdefs.windows_support, {"runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},
                                "ipcMode": "host"}, "not supported for Windows"),
    (taskdefs.health_checks, fg(containerDefinitions=[c(healthCheck={"command": ["CMD-SHELL", "true"],
                                                                     "interval": 5, "timeout": 60, "retries": 10,
                                                                     "startPeriod": 0})]), None),
    (taskdefs.health_checks, fg(containerDefinitions=[c(healthCheck={"command": ["curl", "x"]})]),
     "starts with CMD or CMD-SHELL"),
    (taskdefs.health_checks, fg(containerDefinitions=[c(healthCheck={"command": ["CMD", "x"], "timeout": 61})]),
     "timeout must be between 2 and 60"),
    (taskdefs.placement_constraints, {"placementConstraints": [{"type": "memberOf"}] * 11}, "at most 10"),
    (taskdefs.tags, fg(tags=[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]), "duplicate tag key 'a'"),
    (taskdefs.tags, fg(tags=[{"key": "AWS:x", "value": "1"}]), "aws: prefix is reserved"),
    (services.desired_count, {"desiredCount": 0}, None),
    (services.desired_count, {"desiredCount": -1}, "cannot be negative"),
    (services.launch_type_or_strategy, {"launchType": "EC2", "capacityProviderStrategy": [{"capacityProvider": "a"}]},
     "not both"),
    (services.capacity_provider_strategy, {"capacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}]},
     None),
    (services.capacity_provider_strategy, {"capacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 0}, {"capacityProvider": "FARGATE_SPOT", "weight": 0}]},
     "at least one needs a weight above 0"),
    (services.capacity_provider_strategy, {"capacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": "FARGATE", "weight": 1}]}, "listed twice"),
    (services.scheduling, {"schedulingStrategy": "DAEMON", "launchType": "EC2"}, None),
    (services.scheduling, {"schedulingStrategy": "DAEMON", "deploymentController": {"type": "EXTERNAL"}},
     "cannot use the EXTERNAL deployment controller"),
    (services.deployment_percentages, {"deploymentConfiguration": {"minimumHealthyPercent": 0,
                                                                   "maximumPercent": 100}}, None),
    (services.deployment_percentages, {"deploymentConfiguration": {"minimumHealthyPercent": -5}}, "between 0 and 100"),
    (services.deployment_percentages, {"deploymentConfiguration": {"maximumPercent": -1}}, "cannot be negative"),
    (services.load_balancers, {"loadBalancers": [{"targetGroupArn": TG, "containerName": "web",
                                                  "containerPort": 80}]}, None),
    (services.load_balancers, {"loadBalancers": [{"loadBalancerName": "lb", "targetGroupArn": TG,
                                                  "containerName": "web", "containerPort": 80}]}, "not both"),
    (services.load_balancers, {"loadBalancers": [{"containerName": "web", "containerPort": 80}]},
     "needs targetGroupArn"),
    (services.load_balancers, {"loadBalancers": [{"targetGroupArn": f"{TG}{i}", "containerName": "web",
                                                  "containerPort": 80} for i in range(6)]}, "at most 5 target groups"),
    (services.load_balancers, {"role": "ecsServiceRole"}, "role is only used with loadBalancers"),
    (services.placement, {"placementStrategy": [{"type": "random"}] * 6}, "at most 5 placementStrategy"),
    (services.placement, {"serviceRegistries": [{"registryArn": "a"}, {"registryArn": "b"}]},
     "at most 1 serviceRegistries"),
    (services.network_configuration, {"networkConfiguration": {"awsvpcConfiguration": {"subnets": []}}},
     "at least one subnet"),
    (services.network_configuration, {"networkConfiguration": {"awsvpcConfiguration": {
        "subnets": ["s"], "securityGroups": [f"sg-{i}" for i in range(6)]}}}, "at most 5 security groups"),
    (services.platform_version, {"launchType": "EC2", "platformVersion": "1.4.0"}, "for Fargate only"),
    (services.platform_version, {"launchType": "FARGATE", "platformVersion": "1.4.0"}, None),
    (services.run_count, {"count": 10}, None),
    (services.run_count, {"count": 0}, "between 1 and 10"),
    (services.hooks, {"runBefore": ["web"], "runAfter": ["api"]}, None),
    (services.hooks, {"runBefore": ["web"], "runAfter": ["web"]}, "in both runBefore and runAfter"),
    (clusters.default_strategy, {"capacityProviders": ["FARGATE"], "defaultCapacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1}]}, None),
    (clusters.default_strategy, {"defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]},
     "not in capacityProviders"),
    (repositories.policy_sizes, {"lifecyclePolicy": {"rules": []}}, "ECR takes 100 to 30720"),
    (repositories.policy_sizes, {"repositoryPolicy": {"Statement": ["x" * 10300]}}, "ECR takes 0 to 10240"),
    (repositories.tags, {"tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}, "duplicate tag key"),
]


IDS = [f"{rule.__module__.rsplit('.', 1)[-1]}.{rule.__name__}-{i}" for i, (rule, _, _) in enumerate(CASES)]


@pytest.mark.parametrize(("rule", "spec", "expected"), CASES, ids=IDS)
def test_rule(rule: Rule, spec: dict[str, Any], expected: str | None) -> None:
    messages = [issue.message for issue in rule(spec)]
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(("cpu", "memory", "windows", "ok"), [
    (256, 512, False, True), (256, 2048, False, True), (256, 3072, False, False),
    (512, 4096, False, True), (1024, 8192, False, True), (1024, 1024, False, False),
    (2048, 16384, False, True), (4096, 8192, False, True), (8192, 61440, False, True), (8192, 18432, False, False),
    (16384, 32768, False, True), (16384, 131072, False, False), (1024, 2048, True, True), (512, 1024, True, False),
    (8192, 16384, True, False), (3000, 6144, False, False),
])
def test_the_fargate_table(cpu: int, memory: int, windows: bool, ok: bool) -> None:
    assert (fargate.fargate_size_problem(cpu, memory, windows) is None) is ok


@pytest.mark.parametrize(("text", "units"), [("256", 256), ("1 vCPU", 1024), ("0.25 vcpu", 256), ("2vCPU", 2048),
                                              (" 512 ", 512), ("1.5", None), ("lots", None), ("1 GB", None)])
def test_cpu_units(text: str, units: int | None) -> None:
    assert fargate.cpu_units(text) == units


@pytest.mark.parametrize(("text", "mib"), [("512", 512), ("1GB", 1024), ("0.5 GB", 512), ("2 gb", 2048),
                                            ("1 vCPU", None), ("", None)])
def test_memory(text: str, mib: int | None) -> None:
    assert fargate.memory_mib(text) == mib


@pytest.mark.parametrize(("kind", "spec", "expected"), [
    (Kind.SERVICE, {"desiredCount": 2**31}, "out of range for a 32-bit integer"),
    (Kind.SERVICE, {"desiredCount": 2**31 - 1}, None),
    (Kind.SERVICE, {"healthCheckGracePeriodSeconds": -(2**31) - 1}, "out of range for a 32-bit integer"),
    (Kind.CLUSTER, {"tags": [{"key": "team", "value": "platform ops: é"}]}, None),
    (Kind.CLUSTER, {"tags": [{"key": "team", "value": "a,b"}]}, "does not match the pattern"),
    (Kind.CLUSTER, {"tags": [{"key": "", "value": "a"}]}, "at least 1 character"),
    (Kind.CLUSTER, {"tags": [{"key": "k", "value": "v" * 257}]}, "at most 256 characters"),
    (Kind.CLUSTER, {"defaultCapacityProviderStrategy": [{"capacityProvider": "a", "base": 100001}]}, "at most 100000"),
    (Kind.REPOSITORY, {"imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "v*"}]}, None),
    (Kind.REPOSITORY, {"imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "v 1"}]},
     "does not match"),
    (Kind.TASK, {"timeoutSeconds": 2**31}, "out of range for a 32-bit integer"),
])
def test_model_limits(kind: Kind, spec: dict[str, Any], expected: str | None) -> None:
    messages = [i.message for i in limits.check(kind, spec)]
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages), messages


def test_every_pattern_in_the_models_compiles() -> None:
    """The Java patterns of the ECS and ECR models all translate to Python."""
    for service in ("ecs", "ecr"):
        model = shapes.service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                limits.compiled(pattern)


def test_check_manifest_runs_the_limits_and_the_kind_rules() -> None:
    messages = [i.message for i in validation.check_manifest(Kind.TASK_DEFINITION, fg(
        containerDefinitions=[], tags=[{"key": "k" * 129, "value": "v"}]))]
    assert any("at least one container" in m for m in messages)
    assert any("at most 128 characters" in m for m in messages)
