"""Import a Docker Compose file (and the ECS CLI's ecs-params.yml) as TaskDefinition and Service manifests.

As the ECS CLI did (`ecs-cli compose service up`), the compose project becomes one task definition (family =
project name) holding one container per compose service, run by one ECS service of the same name; `--split`
makes one task definition and service per compose service instead (as Docker Compose's ECS integration did).
Compose's `${VAR}` interpolation becomes the manifests' own variables. Every key that does not map to ECS is
a warning naming the file, line and column, never dropped silently (`x-` extension blocks, which compose
itself ignores, excepted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import ManifestError, Problem
from reconciler.importing import ecs_params, roundtrip, source, writer
from reconciler.importing.compose_container import ContainerReader, Converted
from reconciler.importing.document import ImportedDocument, ImportResult, validate
from reconciler.model.keys import Kind

TOP_LEVEL = frozenset({"version", "name", "services", "volumes"})
TOP_LEVEL_ADVICE = {
    "networks": "ECS networking comes from ecs_network_mode in ecs-params.yml",
    "secrets": "use `secrets` (value_from) under task_definition.services in ecs-params.yml",
    "configs": "ECS has no configs: bake the files into the image, or use an EFS volume",
}


@dataclass
class ComposeOptions:
    project: str | None = None
    cluster: str | None = None
    launch_type: str | None = None  # FARGATE | EC2; inferred when None
    split: bool = False
    ecs_params: str | None = None  # path; None: ecs-params.yml beside the compose file, if there


@dataclass
class Project:
    file: str
    name: str
    cluster: str
    launch_type: str
    network_mode: str | None
    params: ecs_params.EcsParams
    result: ImportResult
    top_volumes: Mapping[str, Any] = field(default_factory=dict)


def import_compose(path: str, options: ComposeOptions) -> ImportResult:
    result = ImportResult()
    compose_path = Path(path)
    data = source.read(compose_path)
    if not isinstance(data, Mapping) or not isinstance(data.get("services"), Mapping) or not data["services"]:
        raise ManifestError([Problem("not a compose file: no `services`", file=path)])
    for key in data:
        if key in TOP_LEVEL or str(key).startswith("x-"):
            continue
        line, column = source.position(data, key)
        advice = TOP_LEVEL_ADVICE.get(str(key), "not mapped to ECS")
        result.warn(f"`{key}`: {advice}", file=path, line=line, column=column)
    params_path = options.ecs_params or _beside(compose_path)
    params = ecs_params.read(Path(params_path), result) if params_path else ecs_params.EcsParams("")
    name = _project_name(options.project or data.get("name") or compose_path.resolve().parent.name)
    network_mode = params.task.get("networkMode")
    launch_type = options.launch_type or (
        "FARGATE" if network_mode == "awsvpc" and "cpu" in params.task and "memory" in params.task else "EC2")
    project = Project(path, name, options.cluster or name, launch_type, network_mode, params, result,
                      data.get("volumes") or {})
    reader = ContainerReader(project.file, result, params, network_mode, launch_type == "FARGATE",
                             project.top_volumes)
    converted = [reader.convert(str(svc), node) for svc, node in data["services"].items()]
    for name_ in params.containers:
        if name_ not in data["services"]:
            line, column = params.container_positions.get(name_, (None, None))
            result.warn(f"task_definition.services.{name_}: no such service in {path}: not mapped",
                        file=params.file, line=line, column=column)
    groups = [[c] for c in converted] if options.split else [converted]
    _check_group_features(project, converted, options.split)
    result.documents.append(ImportedDocument(Kind.CLUSTER, project.cluster, {}, writer.cluster_file(project.cluster),
                                             _described(project)))
    for group in groups:
        _documents(project, group, options.split)
    validate(result.documents)
    return result


def _beside(compose: Path) -> str | None:
    candidate = compose.parent / "ecs-params.yml"
    return str(candidate) if candidate.exists() else None


def _project_name(raw: Any) -> str:
    """ECS names allow letters, digits, `-` and `_` (compose allows `.` too)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", str(raw)).strip("-")[:255] or "compose"


def _described(project: Project) -> str:
    return project.file + (f" and {project.params.file}" if project.params.file else "")


def _check_group_features(project: Project, converted: list[Converted], split: bool) -> None:
    if split:
        users: dict[str, list[str]] = {}
        for c in converted:
            for volume in c.volumes:
                users.setdefault(volume, []).append(c.name)
        for volume, names in sorted(users.items()):
            if len(names) > 1:
                project.result.warn(f"volume {volume!r} is used by {', '.join(names)}: with --split each task "
                                    "has its own copy (use efs_volumes in ecs-params.yml to share it)",
                                    file=project.file)
    elif converted and not any(c.definition.get("essential", True) for c in converted):
        project.result.warn("no container is essential: ECS needs at least one (ecs-params.yml essential)",
                            file=project.params.file or project.file)


def _keep_references_in_task(project: Project, group: list[Converted], split: bool) -> None:
    """dependsOn, links and volumesFrom name containers of the same task: AWS refuses others."""
    names = {c.name for c in group}
    why = "with --split the services are separate tasks, which ECS does not order or link" if split else \
        "no such service in the compose file"
    for c in group:
        d = c.definition
        for field_, key, label in (("dependsOn", "containerName", "depends_on"), ("volumesFrom", "sourceContainer",
                                                                                   "volumes_from")):
            for entry in [e for e in d.get(field_, []) if e[key] not in names]:
                line, column = c.depends_on_positions.get(entry[key], (None, None))
                project.result.warn(f"{label} {entry[key]}: {why}: not mapped", file=project.file, line=line,
                                    column=column, document=f"service {c.name}")
                d[field_].remove(entry)
            if field_ in d and not d[field_]:
                del d[field_]
        for link in [link for link in d.get("links", []) if link.split(":")[0] not in names]:
            project.result.warn(f"links {link}: {why}: not mapped", file=project.file, document=f"service {c.name}")
            d["links"].remove(link)
        if "links" in d and not d["links"]:
            del d["links"]


def _documents(project: Project, group: list[Converted], split: bool) -> None:
    name = f"{project.name}-{group[0].name}" if split else project.name
    service_name = group[0].name if split else project.name
    _keep_references_in_task(project, group, split)
    volumes: dict[str, dict[str, Any]] = {}
    task: dict[str, Any] = {k: v for k, v in project.params.task.items()}
    for c in group:
        volumes.update(c.volumes)
        for key, value in c.task.items():
            task.setdefault(key, value)
    if project.launch_type == "FARGATE":
        task["requiresCompatibilities"] = ["FARGATE"]
        if "cpu" not in task or "memory" not in task:
            project.result.warn("FARGATE needs a task size: set task_definition.task_size (cpu_limit, mem_limit) "
                                "in ecs-params.yml", file=project.params.file or project.file)
        if project.network_mode != "awsvpc":
            project.result.warn("FARGATE needs the awsvpc network mode: set task_definition.ecs_network_mode: "
                                "awsvpc in ecs-params.yml", file=project.params.file or project.file)
    task["containerDefinitions"] = [c.definition for c in group]
    if volumes:
        task["volumes"] = list(volumes.values())
    directory = writer.service_dir(project.cluster, service_name)
    origin = _described(project)
    project.result.documents.append(ImportedDocument(
        Kind.TASK_DEFINITION, name, roundtrip.ordered(Kind.TASK_DEFINITION, task), f"{directory}/taskdef", origin))
    service: dict[str, Any] = {"cluster": project.cluster, "taskDefinition": name}
    daemon = any(c.daemon for c in group)
    if daemon:
        service["schedulingStrategy"] = "DAEMON"
    else:
        service["desiredCount"] = _replicas(project, group)
    service["launchType"] = project.launch_type
    for key, value in project.params.service.items():
        if key == "networkConfiguration" and project.network_mode != "awsvpc":
            project.result.warn("run_params.network_configuration applies only with ecs_network_mode: awsvpc: "
                                "not mapped", file=project.params.file)
            continue
        service[key] = value
    if project.network_mode == "awsvpc" and "networkConfiguration" not in service:
        project.result.warn("awsvpc services need subnets: set run_params.network_configuration."
                            "awsvpc_configuration in ecs-params.yml", file=project.params.file or project.file)
    project.result.documents.append(ImportedDocument(
        Kind.SERVICE, service_name, roundtrip.ordered(Kind.SERVICE, service), f"{directory}/service", origin))


def _replicas(project: Project, group: list[Converted]) -> int:
    counts = {c.name: c.replicas for c in group if c.replicas is not None}
    if len(set(counts.values())) > 1:
        project.result.warn(f"the services ask for different replica counts ({counts}): one task runs them all, "
                            f"so the service runs {max(counts.values())} (or use --split)", file=project.file)
    return max(counts.values(), default=1)
