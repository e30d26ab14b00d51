"""What one import from live AWS has found so far: each kind's import function (reconciler.importing.live,
reconciler.importing.live_capacity) reads what the earlier ones found here and adds to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.capacity import CapacityApis
from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.importing.document import ImportResult


@dataclass
class LiveImport:
    ecs: EcsApi
    ecr: EcrApi
    region: str
    cluster_names: list[str]
    service_names: list[str]  # empty: every service of the selected clusters
    result: ImportResult = field(default_factory=ImportResult)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> DescribeClusters item
    services: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (cluster, name) -> item
    images: dict[str, set[str]] = field(default_factory=dict)  # image -> task families using it
    # EC2 capacity (reconciler.importing.live_capacity): what the clusters' capacity providers lead to.
    capacity: CapacityApis | None = None
    groups: dict[str, bool] = field(default_factory=dict)  # Auto Scaling group -> scaled by a capacity provider
    templates: dict[str, str] = field(default_factory=dict)  # launch template -> the version its group names
    profiles: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
