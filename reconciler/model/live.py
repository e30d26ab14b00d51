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
    services: dict[str, LiveResource] = field(default_factory=dict)  # "cluster/service"
