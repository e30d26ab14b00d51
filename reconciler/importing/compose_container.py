"""One compose service as one ECS container definition (with the task volumes and task settings it needs).

The mapping follows the ECS CLI's (names and units: `mem_limit` bytes -> MiB, `cpu_shares` -> CPU units) and
the ECS API's limits per network mode and launch type: what ECS cannot do there is a warning, not a field
AWS would reject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.importing import compose_values as values
from reconciler.importing import source
from reconciler.importing.document import ImportResult
from reconciler.importing.ecs_params import EcsParams
from reconciler.model import shapes

LOG_DRIVERS = frozenset(getattr(shapes.service_model("ecs").shape_for("LogDriver"), "enum", ()))
DEPENDENCY_CONDITIONS = {"service_started": "START", "service_healthy": "HEALTHY",
                         "service_completed_successfully": "SUCCESS"}
DEFAULT_MEMORY_MIB = 512  # the ECS CLI's default when neither compose nor ecs-params sets memory
# Keys that map to one container field as they are.
TEXT = {"working_dir": "workingDirectory", "user": "user", "hostname": "hostname"}
BOOLEAN = {"privileged": "privileged", "read_only": "readonlyRootFilesystem", "tty": "pseudoTerminal",
           "stdin_open": "interactive"}
TEXT_LISTS = {"dns": "dnsServers", "dns_search": "dnsSearchDomains", "security_opt": "dockerSecurityOptions"}
ADVICE = {
    "container_name": "ECS names the container after the compose service",
    "restart": "an ECS service replaces tasks that stop; no container restart policy is set",
    "networks": "ECS networking comes from ecs_network_mode in ecs-params.yml",
    "network_mode": "ECS networking comes from ecs_network_mode in ecs-params.yml",
    "expose": "containers of one task reach each other without it (awsvpc: on localhost)",
    "secrets": "use `secrets` (value_from) under task_definition.services in ecs-params.yml",
    "configs": "ECS has no configs: bake the files into the image, or use an EFS volume",
    "extends": "resolve it first (docker compose config) and import the result",
    "profiles": "every service is imported",
}
HANDLED = frozenset({
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "volumes_from",
    "depends_on", "links", "healthcheck", "logging", "log_driver", "log_opt", "cpu_shares", "cpus", "mem_limit",
    "mem_reservation", "deploy", "scale", "extra_hosts", "labels", "ulimits", "cap_add", "cap_drop", "init",
    "shm_size", "sysctls", "stop_grace_period", "pid", "ipc", "platform", "tmpfs", *TEXT, *BOOLEAN, *TEXT_LISTS})
NOT_IN_AWSVPC = {"links": "links", "hostname": "hostname", "extra_hosts": "extraHosts", "dns": "dnsServers",
                 "dns_search": "dnsSearchDomains"}
NOT_ON_FARGATE = {"privileged": "privileged", "security_opt": "dockerSecurityOptions", "shm_size": "shm_size",
                  "tmpfs": "tmpfs"}


def container_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)[:255]


@dataclass
class Converted:
    name: str
    definition: dict[str, Any]
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)  # task volumes it mounts
    task: dict[str, Any] = field(default_factory=dict)  # task-level settings it implies (pidMode, platform)
    replicas: int | None = None
    daemon: bool = False
    depends_on_positions: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)


class ContainerReader:
    def __init__(self, file: str, result: ImportResult, params: EcsParams, network_mode: str | None,
                 fargate: bool, top_volumes: Mapping[str, Any]) -> None:
        self.file, self.result, self.params = file, result, params
        self.network_mode, self.fargate, self.top_volumes = network_mode, fargate, top_volumes
        self.node: Any = None
        self.service = ""
        self.interpolated: set[int] = set()
        self.task_volumes: dict[str, dict[str, Any]] = {}

    # -- helpers ---------------------------------------------------------------------------------------------
    def warn(self, key: str | int | None, message: str, node: Any = None) -> None:
        line, column = source.position(self.node if node is None else node, key)
        self.result.warn(message, file=self.file, line=line, column=column, document=f"service {self.service}")

    def text(self, key: str, value: Any) -> str:
        """A value as manifest text (strings were interpolated already, by `_interpolate`)."""
        return values.scalar_text(value)

    def _interpolate(self, node: Any) -> None:
        """Compose interpolates every string of a service: do it once, in place (positions are kept). Maps and
        lists shared through YAML anchors are done once only."""
        if id(node) in self.interpolated:
            return
        self.interpolated.add(id(node))
        items = node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else []
        for key, value in list(items):
            if isinstance(value, str):
                converted, warnings = values.interpolate(value)
                for warning in warnings:
                    self.warn(key, warning, node)
                node[key] = converted
            else:
                self._interpolate(value)

    # -- one service -----------------------------------------------------------------------------------------
    def convert(self, service: str, node: Any) -> Converted:
        self.service, self.node = service, node if isinstance(node, Mapping) else {}
        self._interpolate(self.node)
        name = container_name(service)
        if name != service:
            self.warn(None, f"container name {name!r}: ECS allows only letters, digits, - and _")
        out = Converted(name, {"name": name})
        d = out.definition
        self._image(d)
        for key in ("entrypoint", "command"):
            if self.node.get(key) is not None:
                d["entryPoint" if key == "entrypoint" else "command"] = [
                    self.text(key, v) for v in values.command(self.node[key])]
        self._resources(out)
        self._ports(d)
        self._environment(d)
        self._mounts(out)
        self._dependencies(out)
        self._health_and_logs(d)
        self._plain_fields(d)
        self._linux(d, out)
        self._overrides(out)
        for key in self.node:
            if key not in HANDLED:
                self.warn(key, f"`{key}`: {ADVICE.get(str(key), 'not mapped to ECS')}")
        return out

    def _image(self, d: dict[str, Any]) -> None:
        image = self.node.get("image")
        if image:
            d["image"] = self.text("image", image)
            if "build" in self.node:
                self.warn("build", "`build` is not run: the image named by `image` must be in a registry ECS can "
                                   "pull from (push it to ECR)")
            return
        variable = re.sub(r"[^A-Za-z0-9]", "_", self.service).upper() + "_IMAGE"
        d["image"] = f"${{{variable}}}"
        self.warn("build" if "build" in self.node else None,
                  f"no `image`: build and push it (to ECR), then pass --var {variable}=<image> (or edit the manifest)")

    def _resources(self, out: Converted) -> None:
        d, deploy = out.definition, self.node.get("deploy") or {}
        resources = deploy.get("resources") or {}
        limits, reservations = resources.get("limits") or {}, resources.get("reservations") or {}
        cpu: tuple[str, Any] | None = None
        for key, value in (("cpu_shares", self.node.get("cpu_shares")), ("cpus", self.node.get("cpus")),
                           ("deploy.resources.limits.cpus", limits.get("cpus")),
                           ("deploy.resources.reservations.cpus", reservations.get("cpus"))):
            if value is not None and cpu is None:
                cpu = (key, value)
        if cpu is not None:
            try:
                d["cpu"] = int(cpu[1]) if cpu[0] == "cpu_shares" else values.cpu_units(cpu[1])
            except (TypeError, ValueError) as exc:
                self.warn(cpu[0].split(".")[0], f"{cpu[0]}: {exc}: not mapped")
        for member, candidates in (("memory", (("mem_limit", self.node.get("mem_limit")),
                                               ("deploy", limits.get("memory")))),
                                   ("memoryReservation", (("mem_reservation", self.node.get("mem_reservation")),
                                                          ("deploy", reservations.get("memory"))))):
            key, value = next(((k, v) for k, v in candidates if v is not None), ("", None))
            if value is not None:
                try:
                    d[member] = values.memory_mib(value)
                except ValueError as exc:
                    self.warn(key, f"{exc}: not mapped")
        replicas = deploy.get("replicas", self.node.get("scale"))
        if replicas is not None:
            out.replicas = int(replicas)
        if deploy.get("mode") == "global":
            out.daemon = True
            if self.fargate:
                self.warn("deploy", "deploy.mode global (one task per instance, DAEMON) is not available on "
                                    "FARGATE")
        for key in deploy:
            if key not in ("replicas", "resources", "mode"):
                self.warn("deploy", f"deploy.{key}: not mapped to ECS (the service's deploymentConfiguration "
                                    "governs rollouts)")

    def _ports(self, d: dict[str, Any]) -> None:
        mappings = []
        for i, item in enumerate(self.node.get("ports") or []):
            try:
                found = values.ports(item)
            except (ValueError, TypeError) as exc:
                self.warn(i, f"{exc}: not mapped", self.node["ports"])
                continue
            for port in found:
                mapping: dict[str, Any] = {"containerPort": port.container}
                if self.network_mode in ("awsvpc", "host"):
                    if port.host is not None and port.host != port.container:
                        self.warn(i, f"port {port.host}:{port.container}: in {self.network_mode} mode the host "
                                     f"port is the container port ({port.container})", self.node["ports"])
                elif port.host is not None:
                    mapping["hostPort"] = port.host
                if port.protocol != "tcp":
                    mapping["protocol"] = port.protocol
                if port.name:
                    mapping["name"] = port.name
                if port.app_protocol:
                    mapping["appProtocol"] = port.app_protocol
                if port.host_ip:
                    self.warn(i, f"host IP {port.host_ip}: ECS does not bind ports to one host address",
                              self.node["ports"])
                mappings.append(mapping)
        if mappings:
            d["portMappings"] = mappings

    def _environment(self, d: dict[str, Any]) -> None:
        env: dict[str, str] = {}
        files = self.node.get("env_file")
        for entry in [files] if isinstance(files, str | Mapping) else (files or []):
            self._env_file(entry, env)
        for key, value in values.key_values(self.node.get("environment")).items():
            env[key] = f"${{{key}}}" if value is None else self.text("environment", value)
        if env:
            d["environment"] = [{"name": k, "value": v} for k, v in env.items()]

    def _env_file(self, entry: Any, env: dict[str, str]) -> None:
        path_text = entry.get("path") if isinstance(entry, Mapping) else entry
        required = entry.get("required", True) if isinstance(entry, Mapping) else True
        path = Path(self.file).parent / str(path_text)
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            if required:
                self.warn("env_file", f"env_file {path_text}: cannot read it ({exc.strerror}): not mapped")
            return
        for line, key, value in values.env_file(content):
            if value is None:
                env[key] = f"${{{key}}}"
                continue
            converted, warnings = values.interpolate(value)
            for warning in warnings:
                self.result.warn(warning, file=str(path), line=line, document=f"service {self.service}")
            env[key] = converted

    def _mounts(self, out: Converted) -> None:
        points = []
        for i, item in enumerate(self.node.get("volumes") or []):
            try:
                m = values.mount(item)
            except (ValueError, TypeError) as exc:
                self.warn(i, f"{exc}: not mapped", self.node["volumes"])
                continue
            volume = self._volume(m, i)
            if volume is None:
                continue
            volume = self._unique(volume)
            out.volumes[volume["name"]] = volume
            point: dict[str, Any] = {"sourceVolume": volume["name"], "containerPath": m.target}
            if m.read_only:
                point["readOnly"] = True
            points.append(point)
        if points:
            out.definition["mountPoints"] = points
        sources = []
        for item in self.node.get("volumes_from") or []:
            parts = [p for p in str(item).split(":") if p != "container"]
            entry: dict[str, Any] = {"sourceContainer": container_name(parts[0])}
            if len(parts) > 1 and parts[1] == "ro":
                entry["readOnly"] = True
            sources.append(entry)
        if sources:
            out.definition["volumesFrom"] = sources

    def _unique(self, volume: dict[str, Any]) -> dict[str, Any]:
        """Task volume names are unique: the same definition shares the name (a named volume used by two
        services), a different one (two host paths that make the same name) gets `-2`."""
        base, n = volume["name"], 1
        while volume["name"] in self.task_volumes and self.task_volumes[volume["name"]] != volume:
            n += 1
            volume = {**volume, "name": f"{base}-{n}"}
        self.task_volumes[volume["name"]] = volume
        return volume

    def _volume(self, m: values.Mount, index: int) -> dict[str, Any] | None:
        where = self.node["volumes"]
        if m.kind == "tmpfs":
            self.warn(index, f"tmpfs {m.target}: use `tmpfs:` with a size (mapped to linuxParameters.tmpfs)", where)
            return None
        if m.kind == "bind":
            assert m.source is not None
            if not m.source.startswith("/"):
                self.warn(index, f"bind mount {m.source}: a path on your machine, which ECS hosts do not have: not "
                                 "mapped (bake the files into the image, or use an EFS volume)", where)
                return None
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", m.source).strip("-") or "host-root"
            if self.fargate:
                self.warn(index, f"bind mount {m.source}: FARGATE has no host paths: mapped to task storage", where)
                return {"name": name}
            return {"name": name, "host": {"sourcePath": m.source}}
        if m.source is None:  # anonymous volume
            return {"name": re.sub(r"[^A-Za-z0-9_-]+", "-", m.target).strip("-") or "volume"}
        if m.source in self.params.volumes:
            return dict(self.params.volumes[m.source])
        if m.source not in self.top_volumes:
            self.warn(index, f"named volume {m.source!r} is not declared under the top-level `volumes`", where)
        top = self.top_volumes.get(m.source) or {}
        if isinstance(top, Mapping) and any(top.get(k) for k in ("driver", "driver_opts", "labels", "external")):
            self.warn(index, f"volume {m.source!r}: its driver settings are not mapped (declare it in ecs-params.yml "
                             "docker_volumes or efs_volumes)", where)
        self.warn(index, f"volume {m.source!r} is task storage in ECS: its data does not outlive the task (declare "
                         "it in ecs-params.yml docker_volumes with scope: shared, or efs_volumes, to keep it)", where)
        return {"name": m.source}

    def _dependencies(self, out: Converted) -> None:
        raw = self.node.get("depends_on")
        items = raw.items() if isinstance(raw, Mapping) else [(n, None) for n in raw or []]
        found = []
        for dependency, spec in items:
            condition = "service_started"
            if isinstance(spec, Mapping) and spec.get("condition"):
                condition = str(spec["condition"])
            out.depends_on_positions[str(dependency)] = source.position(raw, dependency if isinstance(
                raw, Mapping) else None)
            found.append({"containerName": container_name(str(dependency)),
                          "condition": DEPENDENCY_CONDITIONS.get(condition, "START")})
        if found:
            out.definition["dependsOn"] = found
        if self.node.get("links"):
            out.definition["links"] = [str(link) for link in self.node["links"]]

    def _health_and_logs(self, d: dict[str, Any]) -> None:
        if isinstance(self.node.get("healthcheck"), Mapping):
            try:
                health = values.health_check(self.node["healthcheck"])
                if health is not None:
                    d["healthCheck"] = health
            except ValueError as exc:
                self.warn("healthcheck", f"{exc}: not mapped")
            if "start_interval" in self.node["healthcheck"]:
                self.warn("healthcheck", "healthcheck.start_interval: not mapped to ECS")
        logging = self.node.get("logging") or {}
        driver = logging.get("driver", self.node.get("log_driver"))
        options = logging.get("options", self.node.get("log_opt"))
        if driver is not None:
            if driver not in LOG_DRIVERS:
                self.warn("logging" if "logging" in self.node else "log_driver",
                          f"log driver {driver!r}: ECS supports {', '.join(sorted(LOG_DRIVERS))}: not mapped")
            else:
                config: dict[str, Any] = {"logDriver": driver}
                if options:
                    config["options"] = {str(k): self.text("logging", v) for k, v in options.items()}
                d["logConfiguration"] = config

    def _plain_fields(self, d: dict[str, Any]) -> None:
        for key, member in TEXT.items():
            if self.node.get(key) is not None:
                d[member] = self.text(key, self.node[key])
        for key, member in BOOLEAN.items():
            if self.node.get(key) is not None:
                d[member] = bool(self.node[key])
        for key, member in TEXT_LISTS.items():
            value = self.node.get(key)
            if value is not None:
                d[member] = [self.text(key, v) for v in ([value] if isinstance(value, str) else value)]
        if self.node.get("extra_hosts"):
            hosts = values.key_values(self.node["extra_hosts"], ":") if not isinstance(
                self.node["extra_hosts"], Mapping) else dict(self.node["extra_hosts"])
            d["extraHosts"] = [{"hostname": h, "ipAddress": str(ip).split("=")[-1]} for h, ip in hosts.items()]
        if self.node.get("labels"):
            d["dockerLabels"] = {k: self.text("labels", v if v is not None else "")
                                 for k, v in values.key_values(self.node["labels"]).items()}
        if self.node.get("stop_grace_period") is not None:
            d["stopTimeout"] = values.duration_seconds(self.node["stop_grace_period"])
        ulimits = self.node.get("ulimits") or {}
        if ulimits:
            d["ulimits"] = [{"name": str(n), "softLimit": int(v["soft"] if isinstance(v, Mapping) else v),
                             "hardLimit": int(v["hard"] if isinstance(v, Mapping) else v)} for n, v in ulimits.items()]
        if self.node.get("sysctls"):
            d["systemControls"] = [{"namespace": k, "value": values.scalar_text(v)}
                                   for k, v in values.key_values(self.node["sysctls"]).items()]
        for key, member in NOT_IN_AWSVPC.items():
            if self.network_mode == "awsvpc" and member in d:
                del d[member]
                self.warn(key, f"`{key}` is not available in the awsvpc network mode: not mapped")

    def _linux(self, d: dict[str, Any], out: Converted) -> None:
        linux: dict[str, Any] = {}
        capabilities = {k: [str(c) for c in self.node[key]] for key, k in (("cap_add", "add"), ("cap_drop", "drop"))
                        if self.node.get(key)}
        if capabilities:
            linux["capabilities"] = capabilities
        if self.node.get("init") is not None:
            linux["initProcessEnabled"] = bool(self.node["init"])
        if self.node.get("shm_size") is not None:
            linux["sharedMemorySize"] = values.memory_mib(self.node["shm_size"])
        tmpfs = self.node.get("tmpfs")
        for entry in [tmpfs] if isinstance(tmpfs, str) else (tmpfs or []):
            path, _, options = str(entry).partition(":")
            size = re.search(r"size=([0-9.]+[kmgtb]*)", options, re.IGNORECASE)
            if size is None:
                self.warn("tmpfs", f"tmpfs {path}: ECS needs a size (e.g. {path}:size=64m): not mapped")
                continue
            linux.setdefault("tmpfs", []).append({"containerPath": path, "size": values.memory_mib(size.group(1))})
        for key, member in NOT_ON_FARGATE.items():
            if self.fargate and self.node.get(key) is not None:
                d.pop(member, None)
                linux.pop({"shm_size": "sharedMemorySize"}.get(key, key), None)
                self.warn(key, f"`{key}` is not available on FARGATE: not mapped")
        if linux:
            d["linuxParameters"] = linux
        if self.node.get("pid") == "host":
            out.task["pidMode"] = "host"
        elif self.node.get("pid") is not None:
            self.warn("pid", f"pid {self.node['pid']!r}: ECS shares a PID namespace only with the host or the task "
                             "(pid_mode in ecs-params.yml): not mapped")
        if self.node.get("ipc") in ("host", "none"):
            out.task["ipcMode"] = self.node["ipc"]
        elif self.node.get("ipc") is not None:
            self.warn("ipc", f"ipc {self.node['ipc']!r}: not mapped (ipc_mode in ecs-params.yml)")
        platform = self.node.get("platform")
        if platform:
            system, _, architecture = str(platform).partition("/")
            cpu = {"amd64": "X86_64", "arm64": "ARM64", "arm64/v8": "ARM64"}.get(architecture)
            if system != "linux" or cpu is None:
                self.warn("platform", f"platform {platform!r}: only linux/amd64 and linux/arm64 are mapped")
            else:
                out.task["runtimePlatform"] = {"operatingSystemFamily": "LINUX", "cpuArchitecture": cpu}

    def _overrides(self, out: Converted) -> None:
        """ecs-params.yml wins over compose for the fields it sets (as the ECS CLI did)."""
        d = out.definition
        override = self.params.containers.get(self.service, {})
        for key, value in override.items():
            if key == "linuxParameters":
                d["linuxParameters"] = {**d.get("linuxParameters", {}), **value}
            elif key == "secretOptions":
                if "logConfiguration" in d:
                    d["logConfiguration"]["secretOptions"] = value
                else:
                    self.warn("logging", "ecs-params logging.secret_options without a compose logging driver: "
                                         "not mapped")
            else:
                d[key] = value
        if d.get("essential", True) is True:
            d.pop("essential", None)
        task_memory = "memory" in self.params.task
        if not task_memory and "memory" not in d and "memoryReservation" not in d:
            d["memory"] = DEFAULT_MEMORY_MIB
            self.warn(None, f"no mem_limit or mem_reservation (and no task size): memory {DEFAULT_MEMORY_MIB} "
                            "MiB, the ECS CLI's default")
        if d.get("memory") is not None and d.get("memoryReservation") is not None \
                and d["memory"] < d["memoryReservation"]:
            self.warn("mem_limit", "mem_limit is below mem_reservation: ECS will refuse the task definition")
