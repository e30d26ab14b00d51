"""What exists in AWS, as read for one plan. Specs here are raw AWS output; planning normalises them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.model.keys import Kind, ResourceKey


@dataclass(frozen=True)
class LiveResource:
    kind: Kind
    name: str
    arn: str
    spec: dict[str, Any]  # AWS output mapped onto input names (plus "tags" in the API's list form)
    tags: dict[str, str]
    status: str = "ACTIVE"
    detail: dict[str, Any] = field(default_factory=dict)  # what else was observed (versions, instances...)


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
    # EC2 capacity (read only when manifests declare or name them): see reconciler.live.capacity.
    capacity_read: bool = False
    roles: dict[str, LiveResource] = field(default_factory=dict)
    instance_profiles: dict[str, LiveResource] = field(default_factory=dict)
    launch_templates: dict[str, LiveResource] = field(default_factory=dict)  # spec: the default version's data
    auto_scaling_groups: dict[str, LiveResource] = field(default_factory=dict)
    capacity_providers: dict[str, LiveResource] = field(default_factory=dict)
    # Container instances of the clusters an Auto Scaling group's instances join (EC2 instance id -> container
    # instance as DescribeContainerInstances reports it, with "cluster"); read with the groups.
    container_instances: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource(self, key: ResourceKey) -> LiveResource | None:
        """The live resource a manifest's key names (None when AWS has none; one-off tasks never have one)."""
        by_kind: dict[Kind, dict[str, LiveResource]] = {
            Kind.REPOSITORY: self.repositories, Kind.CLUSTER: self.clusters,
            Kind.TASK_DEFINITION: self.task_definitions, Kind.SERVICE: self.services, Kind.ROLE: self.roles,
            Kind.INSTANCE_PROFILE: self.instance_profiles, Kind.LAUNCH_TEMPLATE: self.launch_templates,
            Kind.AUTO_SCALING_GROUP: self.auto_scaling_groups, Kind.CAPACITY_PROVIDER: self.capacity_providers}
        return by_kind[key.kind].get(key.name) if key.kind in by_kind else None


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
    roles: dict[str, LiveResource] = field(default_factory=dict)  # (IAM: only those tagged with this region)
    instance_profiles: dict[str, LiveResource] = field(default_factory=dict)
    launch_templates: dict[str, LiveResource] = field(default_factory=dict)
    auto_scaling_groups: dict[str, LiveResource] = field(default_factory=dict)
    capacity_providers: dict[str, LiveResource] = field(default_factory=dict)
    other_region_iam: list[str] = field(default_factory=list)  # ours, but made by an apply in another region
