"""Identity of a resource: its kind and name. Reconcile steps receive identities, never events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    REPOSITORY = "Repository"
    CLUSTER = "Cluster"
    TASK_DEFINITION = "TaskDefinition"
    SERVICE = "Service"
    TASK = "Task"  # a one-off task (RunTask), e.g. a database migration before a service rolls out
    # EC2 capacity: the chapter's cluster of container instances (IAM, EC2, Auto Scaling, ECS capacity providers)
    ROLE = "Role"
    INSTANCE_PROFILE = "InstanceProfile"
    LAUNCH_TEMPLATE = "LaunchTemplate"
    AUTO_SCALING_GROUP = "AutoScalingGroup"
    CAPACITY_PROVIDER = "CapacityProvider"


# Without a dependency between them, creates and updates run in this order; deletes in the reverse order.
KIND_ORDER: tuple[Kind, ...] = (
    Kind.ROLE, Kind.INSTANCE_PROFILE, Kind.LAUNCH_TEMPLATE, Kind.AUTO_SCALING_GROUP, Kind.CAPACITY_PROVIDER,
    Kind.REPOSITORY, Kind.CLUSTER, Kind.TASK_DEFINITION, Kind.TASK, Kind.SERVICE,
)
# The kinds of EC2 capacity, in dependency order (a role before the profile that holds it, ...).
CAPACITY_KINDS: tuple[Kind, ...] = KIND_ORDER[:5]


@dataclass(frozen=True, order=True)
class ResourceKey:
    """`name` is the repository, cluster or task family name, or "cluster/service" for services."""

    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}/{self.name}"


@dataclass(frozen=True)
class SourceRef:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"
