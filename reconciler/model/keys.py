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


# Without a dependency between them, creates and updates run in this order; deletes in the reverse order.
KIND_ORDER: tuple[Kind, ...] = (Kind.REPOSITORY, Kind.CLUSTER, Kind.TASK_DEFINITION, Kind.TASK, Kind.SERVICE)


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
