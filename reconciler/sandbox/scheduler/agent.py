"""The ECS container agent's stand-in: EC2 instances join their cluster, and leave it when they terminate.

moto has EC2 instances and Auto Scaling groups but no agent (moto-notes 1.6). Each scheduler step:

* a running EC2 instance whose user data sets ``ECS_CLUSTER=<name>`` registers as a container instance of that
  cluster ``REGISTER_AFTER_STEPS`` steps after the agent first saw it running (the real agent takes seconds), once
  the cluster is ACTIVE and the instance has an IAM instance profile holding a role (without one the real agent
  cannot call ECS: such an instance never joins). It registers with its instance type's resources: CPU = vCPUs x
  1024 units; MEMORY = the type's MiB less ``RESERVED_MEMORY_FRACTION`` (2.5%: memory the kernel and platform keep;
  AWS's guide shows an m4.large, 8192 MiB installed, registering 7985), the agent's ports 22, 2375, 2376, 51678 and
  51679 reserved; attributes ``ecs.instance-type``, ``ecs.ami-id`` (the resolved AMI), ``ecs.availability-zone``,
  ``ecs.os-type``, ``ecs.cpu-architecture``; ``capacityProviderName`` when a capacity provider of the cluster is
  over the instance's Auto Scaling group;
* an instance registers once: deregistered (DeregisterContainerInstance, or its cluster deleted), its agent does not
  register it again, as the real agent keeps its registration in its state file;
* a registered container instance whose EC2 instance terminated is deregistered: its tasks stop (stopCode
  TerminationNotice, "Host EC2 (instance ...) terminated.") and the services replace them elsewhere. A stopped
  instance's agent disconnects (agentConnected false) and it takes no task.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from reconciler.sandbox.scheduler.state import sim
from reconciler.sandbox.scheduler.tasks import request_stop
from reconciler.sandbox.scheduler.wording import STOP_HOST_TERMINATED

__all__ = ["REGISTER_AFTER_STEPS", "RESERVED_MEMORY_FRACTION", "registered_resources", "step"]

REGISTER_AFTER_STEPS = 2
RESERVED_MEMORY_FRACTION = 0.025
AGENT_VERSION = "1.88.0"
AGENT_PORTS = ["22", "2375", "2376", "51678", "51679"]
_SEEN = "_sandbox_agent_seen"  # on moto's EC2 Instance: when (monotonic) the agent first saw it running
_JOINED = "_sandbox_agent_joined"  # on moto's EC2 Instance: its agent registered it once (it never does again)


def _instance_type(name: str) -> dict[str, Any]:
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    found: dict[str, Any] = INSTANCE_TYPES.get(name) or {}
    return found


def registered_resources(instance_type: str) -> tuple[int, int, str]:
    """(CPU units, MiB, architecture) an instance of `instance_type` registers with."""
    info = _instance_type(instance_type)
    vcpus = int((info.get("VCpuInfo") or {}).get("DefaultVCpus") or 2)
    memory = int((info.get("MemoryInfo") or {}).get("SizeInMiB") or 4096)
    architectures = (info.get("ProcessorInfo") or {}).get("SupportedArchitectures") or ["x86_64"]
    return vcpus * 1024, math.floor(memory * (1 - RESERVED_MEMORY_FRACTION)), str(architectures[0])


def _resources(cpu: int, memory: int) -> list[dict[str, Any]]:
    return [
        {"doubleValue": 0.0, "integerValue": cpu, "longValue": 0, "name": "CPU", "type": "INTEGER"},
        {"doubleValue": 0.0, "integerValue": memory, "longValue": 0, "name": "MEMORY", "type": "INTEGER"},
        {"doubleValue": 0.0, "integerValue": 0, "longValue": 0, "name": "PORTS", "stringSetValue": list(AGENT_PORTS),
         "type": "STRINGSET"},
        {"doubleValue": 0.0, "integerValue": 0, "longValue": 0, "name": "PORTS_UDP", "stringSetValue": [],
         "type": "STRINGSET"},
    ]


def _cluster_of(instance: Any) -> str | None:
    """ECS_CLUSTER from the instance's user data."""
    import re

    raw = getattr(instance, "user_data", None)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if raw is None:
        return None
    try:
        text = raw.decode() if hasattr(raw, "decode") and not isinstance(raw, bytes) else str(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    match = re.search(r"\bECS_CLUSTER\s*=\s*['\"]?([A-Za-z0-9_-]{1,255})", text)
    return match.group(1) if match else None


def _has_role(instance: Any, account_id: str) -> bool:
    """Whether the instance's IAM instance profile exists and holds a role (what the agent's credentials are)."""
    from moto.iam.models import iam_backends

    profile = getattr(instance, "iam_instance_profile", None)
    if not isinstance(profile, dict):
        return False
    ref = str(profile.get("Arn") or profile.get("Name") or "")
    name = ref.rsplit("/", 1)[-1]
    try:
        found = iam_backends[account_id]["global"].get_instance_profile(name)
    except Exception:  # moto: NotFoundException (no such profile): the agent cannot start
        return False
    return bool(found.roles)


def _provider_of(backend: Any, cluster: Any, instance: Any) -> str | None:
    group = getattr(instance, "autoscaling_group", None)
    if group is None:
        return None
    for name in cluster.capacity_providers or []:
        provider = backend.capacity_providers.get(name)
        arn = (provider.auto_scaling_group_provider or {}).get("autoScalingGroupArn") if provider else None
        if arn in (group.arn, group.name):
            return str(name)
    return None


def _register(backend: Any, cluster: Any, instance: Any, at: datetime) -> None:
    container_instance = backend.register_container_instance(cluster.name, instance.id)
    cpu, memory, architecture = registered_resources(instance.instance_type)
    container_instance.registered_resources = _resources(cpu, memory)
    container_instance.remaining_resources = _resources(cpu, memory)
    container_instance.attributes["ecs.cpu-architecture"] = architecture
    container_instance.version_info = {"agentVersion": AGENT_VERSION, "agentHash": "sandbox",
                                       "dockerVersion": "DockerVersion: 25.0.8"}
    container_instance.registered_at = at
    container_instance.capacity_provider_name = _provider_of(backend, cluster, instance)


def _deregister(backend: Any, cluster_name: str, container_instance: Any, instance_id: str) -> None:
    key = container_instance.container_instance_arn.split("/")[-1]
    for task in backend.tasks.get(cluster_name, {}).values():
        state = sim(task)
        if state is not None and state.instance_id == key:
            request_stop(task, "TerminationNotice", STOP_HOST_TERMINATED.format(instance=instance_id))
            state.instance_id = None  # (the instance is gone: nothing to release)
    backend.container_instances.get(cluster_name, {}).pop(key, None)
    cluster = backend.clusters.get(cluster_name)
    if cluster is not None:
        cluster.registered_container_instances_count = max(0, cluster.registered_container_instances_count - 1)


def _ec2_instances(backend: Any) -> dict[str, Any]:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[backend.account_id][backend.region_name]
    return {i.id: i for reservation in ec2.reservations.values() for i in reservation.instances}


def step(backend: Any, at: datetime, moment: float, step_seconds: float) -> bool:
    """One step of every agent of ``backend``'s account and region. Returns whether anything changed."""
    instances = _ec2_instances(backend)
    changed = False
    registered: set[str] = set()
    for cluster_name, members in list(backend.container_instances.items()):
        for container_instance in list(members.values()):
            instance = instances.get(container_instance.ec2_instance_id)
            state = instance.state if instance is not None else None
            if state is None or state in ("shutting-down", "terminated"):
                _deregister(backend, cluster_name, container_instance, container_instance.ec2_instance_id)
                changed = True
                continue
            connected = state == "running"
            if container_instance.agent_connected != connected:
                container_instance.agent_connected = connected
                changed = True
            registered.add(container_instance.ec2_instance_id)
    for instance in instances.values():
        if instance.state != "running" or instance.id in registered or getattr(instance, _JOINED, False):
            continue
        cluster_name = _cluster_of(instance)
        if cluster_name is None:
            continue
        seen = getattr(instance, _SEEN, None)
        if seen is None:
            setattr(instance, _SEEN, moment)
            continue
        cluster = backend.clusters.get(cluster_name)
        if moment - seen < REGISTER_AFTER_STEPS * step_seconds - 1e-9 or cluster is None or \
                cluster.status != "ACTIVE" or not _has_role(instance, backend.account_id):
            continue
        _register(backend, cluster, instance, at)
        setattr(instance, _JOINED, True)
        changed = True
    return changed
