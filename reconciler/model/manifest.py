"""A validated manifest: what the loader hands to planning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.model.keys import Kind, ResourceKey, SourceRef

ANNOTATION_PREFIX = "reconciler.io/"
ADOPT_ANNOTATION = "reconciler.io/adopt"


@dataclass(frozen=True)
class Manifest:
    kind: Kind
    name: str
    spec: dict[str, Any]  # the AWS API input as the user wrote it (validated, types coerced, no nulls)
    source: SourceRef
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> ResourceKey:
        if self.kind is Kind.SERVICE:
            return ResourceKey(self.kind, f"{self.cluster}/{self.name}")
        return ResourceKey(self.kind, self.name)

    @property
    def cluster(self) -> str:
        """For services: the cluster name (an ARN in spec.cluster is reduced to its name)."""
        ref = str(self.spec.get("cluster") or "default")
        return ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref

    def annotation_true(self, name: str) -> bool:
        return self.annotations.get(name, "").strip().lower() in {"true", "yes", "1"}
