"""The ECS CLI's `ecs-params.yml`: what a compose file cannot say (task size, roles, network mode, awsvpc
subnets and security groups, placement, per-container essential/resources/secrets, docker and EFS volumes).

Read as the ECS CLI documented it (`version: 1`, `task_definition`, `run_params`); a key it did not define is
a warning with its line, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.importing import compose_values as values
from reconciler.importing import source
from reconciler.importing.document import ImportResult
from reconciler.importing.secrets import escape

TASK_KEYS = frozenset({"ecs_network_mode", "task_role_arn", "task_execution_role", "task_size", "pid_mode",
                       "ipc_mode", "services", "docker_volumes", "efs_volumes", "placement_constraints"})
CONTAINER_KEYS = frozenset({"essential", "repository_credentials", "cpu_shares", "mem_limit", "mem_reservation",
                            "gpu", "init_process_enabled", "healthcheck", "firelens_configuration", "logging",
                            "secrets"})
RUN_KEYS = frozenset({"network_configuration", "task_placement", "service_discovery"})


@dataclass
class EcsParams:
    file: str
    task: dict[str, Any] = field(default_factory=dict)  # RegisterTaskDefinition members
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)  # compose service -> ContainerDefinition
    container_positions: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> Volume
    service: dict[str, Any] = field(default_factory=dict)  # CreateService members


class _Reader:
    def __init__(self, file: str, result: ImportResult) -> None:
        self.file = file
        self.result = result

    def warn(self, node: Any, key: str | int | None, message: str) -> None:
        line, column = source.position(node, key)
        self.result.warn(message, file=self.file, line=line, column=column)

    def mapping(self, node: Any, key: str, parent: Any) -> Mapping[str, Any]:
        value = node.get(key) if isinstance(node, Mapping) else None
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.warn(parent, key, f"`{key}` should be a mapping: ignored")
            return {}
        return value

    def unknown(self, node: Mapping[str, Any], known: frozenset[str], where: str) -> None:
        for key in node:
            if key not in known:
                self.warn(node, key, f"`{key}` is not an ecs-params.yml field under {where}: not mapped")


def read(path: Path, result: ImportResult) -> EcsParams:
    file = str(path)
    data = source.read(path)
    reader = _Reader(file, result)
    params = EcsParams(file)
    if not isinstance(data, Mapping):
        reader.warn(data, None, "ecs-params.yml should be a mapping: ignored")
        return params
    if str(data.get("version", "1")) != "1":
        reader.warn(data, "version", f"version {data.get('version')!r}: only version 1 is known; read as version 1")
    reader.unknown(data, frozenset({"version", "task_definition", "run_params"}), "the top level")
    task = reader.mapping(data, "task_definition", data)
    reader.unknown(task, TASK_KEYS, "task_definition")
    _task(reader, task, params)
    for name, container in reader.mapping(task, "services", task).items():
        params.container_positions[name] = source.position(task["services"], name)
        if isinstance(container, Mapping):
            reader.unknown(container, CONTAINER_KEYS, f"task_definition.services.{name}")
            params.containers[name] = _container(reader, container)
    _volumes(reader, task, params)
    run = reader.mapping(data, "run_params", data)
    reader.unknown(run, RUN_KEYS, "run_params")
    _run(reader, run, params)
    return params


def _text(value: Any) -> str:
    return escape(values.scalar_text(value))


def _task(reader: _Reader, task: Mapping[str, Any], params: EcsParams) -> None:
    out = params.task
    for key, member in (("ecs_network_mode", "networkMode"), ("task_role_arn", "taskRoleArn"),
                        ("task_execution_role", "executionRoleArn"), ("pid_mode", "pidMode"),
                        ("ipc_mode", "ipcMode")):
        if task.get(key) not in (None, ""):
            out[member] = _text(task[key])
    size = reader.mapping(task, "task_size", task)
    reader.unknown(size, frozenset({"cpu_limit", "mem_limit"}), "task_definition.task_size")
    if size.get("cpu_limit") not in (None, ""):
        out["cpu"] = values.scalar_text(size["cpu_limit"]).strip()
    if size.get("mem_limit") not in (None, ""):
        try:
            out["memory"] = str(values.memory_mib(size["mem_limit"], default_unit="m"))
        except ValueError as exc:
            reader.warn(size, "mem_limit", f"{exc}: not mapped")
    constraints = task.get("placement_constraints") or []
    if constraints:
        out["placementConstraints"] = [_placement(c, ("type", "expression")) for c in constraints]


def _placement(item: Any, keys: tuple[str, str]) -> dict[str, str]:
    return {k: _text(item[k]) for k in keys if isinstance(item, Mapping) and item.get(k) is not None}


def _container(reader: _Reader, node: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "essential" in node:
        out["essential"] = bool(node["essential"])
    credentials = reader.mapping(node, "repository_credentials", node)
    if credentials.get("credentials_parameter"):
        out["repositoryCredentials"] = {"credentialsParameter": _text(credentials["credentials_parameter"])}
    if node.get("cpu_shares") is not None:
        out["cpu"] = int(node["cpu_shares"])
    for key, member in (("mem_limit", "memory"), ("mem_reservation", "memoryReservation")):
        if node.get(key) is not None:
            try:
                out[member] = values.memory_mib(node[key])
            except ValueError as exc:
                reader.warn(node, key, f"{exc}: not mapped")
    if node.get("gpu") is not None:
        out["resourceRequirements"] = [{"type": "GPU", "value": str(node["gpu"])}]
    if node.get("init_process_enabled") is not None:
        out["linuxParameters"] = {"initProcessEnabled": bool(node["init_process_enabled"])}
    health = reader.mapping(node, "healthcheck", node)
    if health:
        try:
            out["healthCheck"] = values.health_check(health)
        except ValueError as exc:
            reader.warn(node, "healthcheck", f"{exc}: not mapped")
    firelens = reader.mapping(node, "firelens_configuration", node)
    if firelens:
        options = firelens.get("options")
        out["firelensConfiguration"] = {"type": _text(firelens.get("type", "fluentbit")),
                                        **({"options": values.key_values(options)} if options else {})}
    logging = reader.mapping(node, "logging", node)
    if logging.get("secret_options"):
        out["secretOptions"] = _secrets(logging["secret_options"])
    if node.get("secrets"):
        out["secrets"] = _secrets(node["secrets"])
    return out


def _secrets(items: Any) -> list[dict[str, str]]:
    return [{"name": _text(s["name"]), "valueFrom": _text(s["value_from"])} for s in items or []
            if isinstance(s, Mapping) and "name" in s and "value_from" in s]


def _volumes(reader: _Reader, task: Mapping[str, Any], params: EcsParams) -> None:
    for item in task.get("docker_volumes") or []:
        if not isinstance(item, Mapping) or not item.get("name"):
            reader.warn(task, "docker_volumes", "a docker volume needs a name: not mapped")
            continue
        config: dict[str, Any] = {}
        for key, member in (("scope", "scope"), ("driver", "driver")):
            if item.get(key) is not None:
                config[member] = _text(item[key])
        if item.get("autoprovision") is not None:
            config["autoprovision"] = bool(item["autoprovision"])
        for key, member in (("driver_opts", "driverOpts"), ("labels", "labels")):
            if isinstance(item.get(key), Mapping):
                config[member] = {str(k): _text(v) for k, v in item[key].items()}
        params.volumes[str(item["name"])] = {"name": str(item["name"]), "dockerVolumeConfiguration": config}
    for item in task.get("efs_volumes") or []:
        if not isinstance(item, Mapping) or not item.get("name") or not item.get("filesystem_id"):
            reader.warn(task, "efs_volumes", "an EFS volume needs a name and a filesystem_id: not mapped")
            continue
        efs: dict[str, Any] = {"fileSystemId": _text(item["filesystem_id"])}
        if item.get("root_directory"):
            efs["rootDirectory"] = _text(item["root_directory"])
        if item.get("transit_encryption"):
            efs["transitEncryption"] = _text(item["transit_encryption"])
        if item.get("transit_encryption_port") is not None:
            efs["transitEncryptionPort"] = int(item["transit_encryption_port"])
        authorization = {k: _text(item[key]) for key, k in (("access_point", "accessPointId"), ("iam", "iam"))
                         if item.get(key)}
        if authorization:
            efs["authorizationConfig"] = authorization
        params.volumes[str(item["name"])] = {"name": str(item["name"]), "efsVolumeConfiguration": efs}


def _run(reader: _Reader, run: Mapping[str, Any], params: EcsParams) -> None:
    network = reader.mapping(reader.mapping(run, "network_configuration", run), "awsvpc_configuration",
                             run.get("network_configuration"))
    if network:
        awsvpc: dict[str, Any] = {}
        for key, member in (("subnets", "subnets"), ("security_groups", "securityGroups")):
            if network.get(key):
                awsvpc[member] = [_text(v) for v in network[key]]
        if network.get("assign_public_ip"):
            awsvpc["assignPublicIp"] = _text(network["assign_public_ip"])
        params.service["networkConfiguration"] = {"awsvpcConfiguration": awsvpc}
    placement = reader.mapping(run, "task_placement", run)
    reader.unknown(placement, frozenset({"strategy", "constraints"}), "run_params.task_placement")
    if placement.get("strategy"):
        params.service["placementStrategy"] = [_placement(s, ("type", "field")) for s in placement["strategy"]]
    if placement.get("constraints"):
        params.service["placementConstraints"] = [_placement(c, ("type", "expression"))
                                                  for c in placement["constraints"]]
    if "service_discovery" in run:
        reader.warn(run, "service_discovery", "service_discovery (Cloud Map) is not mapped: add "
                    "serviceRegistries to the Service manifest once the Cloud Map service exists")
