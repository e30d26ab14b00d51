"""What exists in AWS, as read for one plan. Specs here are raw AWS output; planning normalises them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.model.keys import Kind


@dataclass(frozen=True)
class LiveResource:
    kind: Kind
    name: str
    arn: str
    spec: dict[str, Any]  # AWS output mapped onto input names (plus "tags" in the API's list form)
    tags: dict[str, str]
    status: str = "ACTIVE"


@dataclass
class LiveState:
    repositories: dict[str, LiveResource] = field(default_factory=dict)
    clusters: dict[str, LiveResource] = field(default_factory=dict)
    task_definitions: dict[str, LiveResource] = field(default_factory=dict)  # latest ACTIVE per family
    task_definition_refs: dict[str, str | None] = field(default_factory=dict)  # ref -> ARN (None: missing)
    task_definition_tags: dict[str, dict[str, str]] = field(default_factory=dict)  # ARN -> its tags
    # Revisions whose tags are known from a recent read rather than read now (reconciler.live.cache): enough to
    # find that nothing changes; they are read again before a change of them is planned.
    cached_tags: set[str] = field(default_factory=set)
    services: dict[str, LiveResource] = field(default_factory=dict)  # "cluster/service"
    owned: OwnedState | None = None  # read only when pruning
    # Identifiers AWS knows one resource by, read where a manifest names it differently than AWS reports it:
    # ARN -> other names (a KMS key's alias, a Cloud Map namespace's name). See reconciler.planning.identifiers.
    aliases: dict[str, frozenset[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the read could not find out (e.g. access denied)


@dataclass
class OwnedState:
    """Everything in the account and region carrying this owner's tag (read only for --prune)."""

    clusters: dict[str, LiveResource] = field(default_factory=dict)
    services: dict[str, LiveResource] = field(default_factory=dict)  # "cluster/service"
    families: dict[str, list[str]] = field(default_factory=dict)  # family -> ACTIVE revisions, newest first
    foreign_revisions: set[str] = field(default_factory=set)  # revisions in our families someone else registered
    repositories: dict[str, LiveResource] = field(default_factory=dict)
    in_use: dict[str, set[str]] = field(default_factory=dict)  # "cluster/service" -> ARNs its deployments run
    other_services: dict[str, list[str]] = field(default_factory=dict)  # cluster -> services not ours
