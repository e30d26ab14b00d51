"""The plan is data: computed first, rendered for review, applied second. Apply never re-derives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.model.keys import ResourceKey, SourceRef


class Action(StrEnum):
    NOOP = "noop"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class KnownAfterApply(str):
    """A value only known once an earlier step ran (e.g. the ARN of a revision not yet registered)."""

    def __repr__(self) -> str:
        return f"(known after apply: {self!s})"


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    key: ResourceKey
    action: Action
    fields: tuple[FieldChange, ...] = ()
    desired: dict[str, Any] | None = None  # canonical desired spec (None for deletes)
    live: dict[str, Any] | None = None  # canonical live spec (None for creates)
    arn: str | None = None  # the live resource's ARN, when it exists
    reason: str = ""  # for people only; never branch on it
    source: SourceRef | None = None
    depends_on: tuple[ResourceKey, ...] = ()
    blocked: str | None = None  # why this change may not be applied (e.g. not owned): an error
    held: str | None = None  # why this change waits (e.g. its rollout failed before): not retried
    replace_fields: tuple[str, ...] = ()  # fields that force a replace

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NOOP


@dataclass(frozen=True)
class Plan:
    changes: tuple[ResourceChange, ...]  # in execution order
    errors: tuple[str, ...] = ()  # problems that make some changes impossible (missing references...)
    warnings: tuple[str, ...] = ()  # worth knowing, changes nothing (e.g. what prune keeps and why)
    owner: str = "reconciler"

    @property
    def has_changes(self) -> bool:
        return any(c.is_change for c in self.changes)

    def summary(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts


@dataclass(frozen=True)
class Outcome:
    key: ResourceKey
    action: Action
    status: str  # "applied", "failed", "skipped", "held", "unchanged"
    message: str = ""
    calls: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.status in ("applied", "unchanged") for o in self.outcomes)
