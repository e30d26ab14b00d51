"""Rules ECS applies to RegisterTaskDefinition beyond what its model carries, one function per rule.

Pages cited (all under https://docs.aws.amazon.com/AmazonECS/latest/):
  CD  APIReference/API_ContainerDefinition.html     RTD APIReference/API_RegisterTaskDefinition.html
  PM  APIReference/API_PortMapping.html             HC  APIReference/API_HealthCheck.html
  DEP APIReference/API_ContainerDependency.html     MP  APIReference/API_MountPoint.html
  VF  APIReference/API_VolumeFrom.html              LP  APIReference/API_LinuxParameters.html
  VOL APIReference/API_Volume.html                  HVP APIReference/API_HostVolumeProperties.html
  ES  APIReference/API_EphemeralStorage.html        TAG APIReference/API_Tag.html
  Q   developerguide/service-quotas.html
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.validation import fargate
from reconciler.validation.issues import Issue, Rule, items, tag_rules

MAX_CONTAINERS = 10  # Q: "Containers per task definition: 10", not adjustable
MAX_PLACEMENT_CONSTRAINTS = 10  # RTD placementConstraints
NAME = re.compile(r"[a-zA-Z0-9_-]{1,255}")  # CD name, VOL name
PORT_NAME = re.compile(r"[a-z0-9_][a-z0-9_-]{0,63}")  # PM name
HEALTH_CHECK_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}
MIN_CONTAINER_MEMORY = 4  # CD memory: the Docker daemon reserves at least 4 MiB (6 MiB from 20.10)
IMAGE = re.compile(r"[A-Za-z0-9_:./#-]{1,255}")  # CD image (before any @digest)
DIGEST = re.compile(r"sha256:[A-Fa-f0-9]{64}")  # CD image: "The only supported hash function is sha256"
# The JSON size of a task definition. The quota page has listed 32 KiB in the past and 64 KiB since; the
# larger is enforced here, so nothing AWS accepts is refused.
MAX_TASK_DEFINITION_BYTES = 64 * 1024

Spec = dict[str, Any]


def containers(spec: Spec) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    return items(spec, "containerDefinitions")


def is_fargate(spec: Spec) -> bool:
    return "FARGATE" in (spec.get("requiresCompatibilities") or [])


def is_windows(spec: Spec) -> bool:
    return str((spec.get("runtimePlatform") or {}).get("operatingSystemFamily", "")).startswith("WINDOWS")


def network_mode(spec: Spec) -> str:
    return str(spec.get("networkMode") or "bridge")  # RTD: "If no network mode is specified, the default is bridge"


def container_count(spec: Spec) -> list[Issue]:
    """At least one container (RTD: containerDefinitions is required), at most 10 (Q)."""
    n = len(spec.get("containerDefinitions") or [])
    if n == 0:
        return [Issue("a task definition needs at least one container", ("containerDefinitions",))]
    if n > MAX_CONTAINERS:
        return [Issue(f"at most {MAX_CONTAINERS} containers per task definition (got {n})", ("containerDefinitions",))]
    return []


def container_names(spec: Spec) -> list[Issue]:
    """Names match ^[a-zA-Z0-9_-]{1,255}$ (CD name) and are unique: links, volumesFrom, dependsOn and load
    balancers refer to containers by name."""
    out, seen = [], set()
    for path, c in containers(spec):
        name = str(c.get("name", ""))
        if not NAME.fullmatch(name):
            out.append(Issue(f"invalid container name {name!r}: up to 255 letters, numbers, hyphens and "
                             "underscores", (*path, "name")))
        elif name in seen:
            out.append(Issue(f"duplicate container name {name!r}", (*path, "name")))
        seen.add(name)
    return out


def images(spec: Spec) -> list[Issue]:
    """CD image: `repository/image:tag` is up to 255 letters, numbers, hyphens, underscores, colons, periods,
    slashes and #; with `@digest`, that applies before the @ and the digest is sha256: and 64 hex digits."""
    out = []
    for path, c in containers(spec):
        image = str(c.get("image", ""))
        name, at, digest = image.partition("@")
        if not IMAGE.fullmatch(name) or (at and not DIGEST.fullmatch(digest)):
            shown = image if len(image) <= 80 else image[:79] + "…"
            out.append(Issue(f"invalid image {shown!r}: up to 255 letters, numbers and - _ : . / #, optionally "
                             "followed by @sha256: and 64 hex digits", (*path, "image")))
    return out


def size(spec: Spec) -> list[Issue]:
    """A task definition is at most 64 KiB of JSON (Q: "Task definition size")."""
    n = len(json.dumps(spec, separators=(",", ":")).encode())
    if n > MAX_TASK_DEFINITION_BYTES:
        return [Issue(f"the task definition is {n // 1024} KiB as JSON; ECS takes at most "
                      f"{MAX_TASK_DEFINITION_BYTES // 1024} KiB")]
    return []


def essential_container(spec: Spec) -> list[Issue]:
    """CD essential: "All tasks must have at least one essential container" (omitted means essential)."""
    cs = [c for _, c in containers(spec)]
    if cs and not any(c.get("essential", True) for c in cs):
        return [Issue("at least one container must be essential (essential: true, the default)",
                      ("containerDefinitions",))]
    return []


def container_references(spec: Spec) -> list[Issue]:
    """links (CD), volumesFrom[].sourceContainer (VF) and dependsOn[].containerName (DEP) name another
    container of this task definition; DEP: COMPLETE/SUCCESS "can't be set on an essential container",
    HEALTHY needs the container to have a health check."""
    by_name = {c.get("name"): c for _, c in containers(spec)}
    out = []
    for path, c in containers(spec):
        me = c.get("name")
        for i, link in enumerate(c.get("links") or []):
            target = str(link).split(":", 1)[0]
            if target not in by_name or target == me:
                out.append(Issue(f"link {link!r} names no other container of this task definition",
                                 (*path, "links", i)))
        for i, source in enumerate(c.get("volumesFrom") or []):
            target = source.get("sourceContainer")
            if target not in by_name or target == me:
                out.append(Issue(f"sourceContainer {target!r} names no other container of this task definition",
                                 (*path, "volumesFrom", i, "sourceContainer")))
        for i, dep in enumerate(c.get("dependsOn") or []):
            target, condition = dep.get("containerName"), dep.get("condition")
            where = (*path, "dependsOn", i)
            if target not in by_name or target == me:
                out.append(Issue(f"containerName {target!r} names no other container of this task definition",
                                 (*where, "containerName")))
            elif condition in ("COMPLETE", "SUCCESS") and by_name[target].get("essential", True):
                out.append(Issue(f"condition {condition} cannot be used on {target!r}, an essential container "
                                 "(make it essential: false)", (*where, "condition")))
            elif condition == "HEALTHY" and not by_name[target].get("healthCheck"):
                out.append(Issue(f"condition HEALTHY needs a healthCheck on container {target!r}",
                                 (*where, "condition")))
    return out


def volumes(spec: Spec) -> list[Issue]:
    """Volume names match the container name rule (VOL) and are unique; mountPoints[].sourceVolume "must be
    a volume name referenced in the name parameter of task definition volume" (MP)."""
    out, names = [], set()
    for path, v in items(spec, "volumes"):
        name = str(v.get("name", ""))
        if not NAME.fullmatch(name):
            out.append(Issue(f"invalid volume name {name!r}: up to 255 letters, numbers, hyphens and underscores",
                             (*path, "name")))
        elif name in names:
            out.append(Issue(f"duplicate volume name {name!r}", (*path, "name")))
        names.add(name)
    for path, c in containers(spec):
        for i, mount in enumerate(c.get("mountPoints") or []):
            source = mount.get("sourceVolume")
            if source is None:
                out.append(Issue("a mount point needs sourceVolume", (*path, "mountPoints", i)))
            elif source not in names:
                out.append(Issue(f"sourceVolume {source!r} names no volume of this task definition",
                                 (*path, "mountPoints", i, "sourceVolume")))
    return out


def port_mappings(spec: Spec) -> list[Issue]:
    """PM/CD portMappings: TCP/UDP port numbers; none with networkMode none; with awsvpc or host, hostPort is
    absent or equals containerPort (with containerPortRange, no hostPort); a container port is exposed once
    ("You can't expose the same container port for multiple protocols"); names follow PM name and are
    unique in the task definition (services refer to them)."""
    mode = network_mode(spec)
    out, names = [], set()
    for path, c in containers(spec):
        ports: set[int] = set()
        for i, pm in enumerate(c.get("portMappings") or []):
            where = (*path, "portMappings", i)
            if mode == "none":
                out.append(Issue("networkMode none allows no port mappings", where))
                continue
            container_port, host_port = pm.get("containerPort"), pm.get("hostPort")
            for member, value, low in (("containerPort", container_port, 1), ("hostPort", host_port, 0)):
                if value is not None and not low <= value <= 65535:
                    out.append(Issue(f"{member} must be a port number, {low} to 65535 (got {value})",
                                     (*where, member)))
            if container_port is None and pm.get("containerPortRange") is None:
                out.append(Issue("a port mapping needs containerPort (or containerPortRange)", where))
            if pm.get("containerPortRange") is not None and host_port is not None:
                out.append(Issue("with containerPortRange, leave hostPort out", (*where, "hostPort")))
            elif mode in ("awsvpc", "host") and host_port not in (None, container_port):
                out.append(Issue(f"with networkMode {mode}, hostPort must be left out or equal containerPort "
                                 f"({container_port})", (*where, "hostPort")))
            if container_port is not None:
                if container_port in ports:
                    out.append(Issue(f"container port {container_port} is mapped twice in this container",
                                     (*where, "containerPort")))
                ports.add(container_port)
            name = pm.get("name")
            if name is not None:
                if not PORT_NAME.fullmatch(str(name)):
                    out.append(Issue(f"invalid port mapping name {name!r}: up to 64 lower-case letters, numbers, "
                                     "underscores and hyphens, not starting with a hyphen", (*where, "name")))
                elif name in names:
                    out.append(Issue(f"duplicate port mapping name {name!r}", (*where, "name")))
                names.add(name)
    return out


def network_mode_fields(spec: Spec) -> list[Issue]:
    """CD: links only with bridge (and never on Windows); hostname not with awsvpc; extraHosts not with awsvpc."""
    mode = network_mode(spec)
    out = []
    for path, c in containers(spec):
        if c.get("links") and (mode != "bridge" or is_windows(spec)):
            why = "Windows containers" if is_windows(spec) else f"networkMode {mode}"
            out.append(Issue(f"links are not supported with {why} (bridge only)", (*path, "links")))
        if mode == "awsvpc":
            for member in ("hostname", "extraHosts"):
                if c.get(member):
                    out.append(Issue(f"{member} is not supported with networkMode awsvpc", (*path, member)))
    return out


def task_size(spec: Spec) -> list[Issue]:
    """RTD cpu/memory: CPU units or "N vCPU", MiB or "N GB"; Fargate needs both at task level, from the
    Fargate table; on EC2, cpu between 128 and 196608 units."""
    out = []
    cpu = memory = None
    if "cpu" in spec:
        cpu = fargate.cpu_units(str(spec["cpu"]))
        if cpu is None or cpu <= 0:
            out.append(Issue(f"task cpu {spec['cpu']!r} is neither CPU units (e.g. 1024) nor vCPUs (e.g. 1 vCPU)",
                             ("cpu",)))
            cpu = None
    if "memory" in spec:
        memory = fargate.memory_mib(str(spec["memory"]))
        if memory is None or memory <= 0:
            out.append(Issue(f"task memory {spec['memory']!r} is neither MiB (e.g. 2048) nor GB (e.g. 2 GB)",
                             ("memory",)))
            memory = None
    if is_fargate(spec):
        for member in ("cpu", "memory"):
            if member not in spec:
                out.append(Issue(f"Fargate needs task-level {member}"))
        if cpu is not None and memory is not None:
            problem = fargate.fargate_size_problem(cpu, memory, is_windows(spec))
            if problem:
                out.append(Issue(problem, ("memory",)))
    elif cpu is not None and not fargate.EC2_CPU_RANGE[0] <= cpu <= fargate.EC2_CPU_RANGE[1]:
        low, high = fargate.EC2_CPU_RANGE
        out.append(Issue(f"task cpu must be between {low} and {high} units (got {cpu})", ("cpu",)))
    return out


def container_resources(spec: Spec) -> list[Issue]:
    """CD memory/memoryReservation/cpu: without task memory each container needs memory or
    memoryReservation; memoryReservation may not exceed memory; no container memory above the task's,
    and all containers together within the task's memory and cpu; at least 4 MiB per container."""
    task_memory = fargate.memory_mib(str(spec["memory"])) if "memory" in spec else None
    task_cpu = fargate.cpu_units(str(spec["cpu"])) if "cpu" in spec else None
    out = []
    reserved = cpus = 0
    for path, c in containers(spec):
        memory, reservation = c.get("memory"), c.get("memoryReservation")
        if "memory" not in spec and not memory and not reservation:
            out.append(Issue("without task-level memory, every container needs memory or memoryReservation",
                             path))
        for member, value in (("memory", memory), ("memoryReservation", reservation)):
            if value is not None and value < MIN_CONTAINER_MEMORY:
                out.append(Issue(f"{member} must be at least {MIN_CONTAINER_MEMORY} MiB (got {value})",
                                 (*path, member)))
        if memory is not None and reservation is not None and reservation > memory:
            out.append(Issue(f"memoryReservation ({reservation}) may not exceed memory ({memory})",
                             (*path, "memoryReservation")))
        if task_memory is not None and memory is not None and memory > task_memory:
            out.append(Issue(f"container memory {memory} MiB is more than the task's {task_memory} MiB",
                             (*path, "memory")))
        reserved += reservation if reservation is not None else (memory or 0)
        cpus += c.get("cpu") or 0
    if task_memory is not None and reserved > task_memory:
        out.append(Issue(f"the containers reserve {reserved} MiB, more than the task's {task_memory} MiB",
                         ("containerDefinitions",)))
    if task_cpu is not None and cpus > task_cpu:
        out.append(Issue(f"the containers' cpu adds up to {cpus}, more than the task's {task_cpu}",
                         ("containerDefinitions",)))
    return out


def fargate_support(spec: Spec) -> list[Issue]:
    """What Fargate does not run: networkMode other than awsvpc (RTD), ipcMode and pidMode host (Windows: no
    pidMode) (RTD), privileged (CD), devices, sharedMemorySize, maxSwap, swappiness (LP), Docker volumes
    (VOL) and host sourcePath (HVP); ephemeral storage is 21 to 200 GiB (ES)."""
    if not is_fargate(spec):
        return []
    out = []
    if network_mode(spec) != "awsvpc":
        out.append(Issue(f"Fargate needs networkMode awsvpc (got {network_mode(spec)})",
                         ("networkMode",) if "networkMode" in spec else ()))
    if spec.get("ipcMode"):
        out.append(Issue("ipcMode is not supported on Fargate", ("ipcMode",)))
    pid = spec.get("pidMode")
    if pid and (is_windows(spec) or pid != "task"):
        out.append(Issue("pidMode on Fargate can only be task (and not for Windows)", ("pidMode",)))
    for path, c in containers(spec):
        if c.get("privileged"):
            out.append(Issue("privileged containers are not supported on Fargate", (*path, "privileged")))
        linux = c.get("linuxParameters") or {}
        for member in ("devices", "sharedMemorySize", "maxSwap", "swappiness"):
            if linux.get(member) is not None:
                out.append(Issue(f"linuxParameters.{member} is not supported on Fargate",
                                 (*path, "linuxParameters", member)))
    for path, v in items(spec, "volumes"):
        if v.get("dockerVolumeConfiguration") is not None:
            out.append(Issue("Docker volumes are not supported on Fargate", (*path, "dockerVolumeConfiguration")))
        if (v.get("host") or {}).get("sourcePath") is not None:
            out.append(Issue("host sourcePath is not supported on Fargate", (*path, "host", "sourcePath")))
    size = (spec.get("ephemeralStorage") or {}).get("sizeInGiB")
    if size is not None and not 21 <= size <= 200:
        out.append(Issue(f"ephemeral storage must be 21 to 200 GiB (got {size})", ("ephemeralStorage", "sizeInGiB")))
    return out


def windows_support(spec: Spec) -> list[Issue]:
    """RTD: pidMode and ipcMode are not supported for Windows containers."""
    if not is_windows(spec):
        return []
    return [Issue(f"{member} is not supported for Windows containers", (member,))
            for member in ("pidMode", "ipcMode") if spec.get(member)]


def health_checks(spec: Spec) -> list[Issue]:
    """HC: command starts with CMD or CMD-SHELL; interval 5-300 s, timeout 2-60 s, retries 1-10,
    startPeriod 0-300 s."""
    out = []
    for path, c in containers(spec):
        check = c.get("healthCheck")
        if not isinstance(check, dict):
            continue
        where = (*path, "healthCheck")
        command = check.get("command") or []
        if not command or command[0] not in ("CMD", "CMD-SHELL"):
            out.append(Issue("a health check command starts with CMD or CMD-SHELL", (*where, "command")))
        for member, (low, high) in HEALTH_CHECK_RANGES.items():
            value = check.get(member)
            if value is not None and not low <= value <= high:
                out.append(Issue(f"{member} must be between {low} and {high} (got {value})", (*where, member)))
    return out


def placement_constraints(spec: Spec) -> list[Issue]:
    """RTD: "You can specify a maximum of 10 constraints for each task"."""
    n = len(spec.get("placementConstraints") or [])
    if n > MAX_PLACEMENT_CONSTRAINTS:
        return [Issue(f"at most {MAX_PLACEMENT_CONSTRAINTS} placement constraints (got {n})",
                      ("placementConstraints",))]
    return []


def tags(spec: Spec) -> list[Issue]:
    return tag_rules(spec, "key")


RULES: tuple[Rule, ...] = (
    size, container_count, container_names, images, essential_container, container_references, volumes, port_mappings,
    network_mode_fields, task_size, container_resources, fargate_support, windows_support, health_checks,
    placement_constraints, tags,
)
