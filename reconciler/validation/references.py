"""Rules that involve several manifests: names that must resolve, and runBefore/runAfter cycles.

A service or one-off task that names a TaskDefinition manifest by family must fit it
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html, API_RunTask.html,
API_LoadBalancer.html): an awsvpc task definition needs a networkConfiguration, and other network modes
take none; launchType FARGATE needs a Fargate-compatible task definition (awsvpc, task cpu and memory);
load balancers name a container of it and one of that container's ports, and awsvpc only works with
ALB/NLB (no Classic loadBalancerName, no `role`); containerOverrides name its containers.
Cycles: the same dependency graph the planner orders by (reconciler.planning.graph).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.model import capacity_refs
from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest, service_key
from reconciler.planning import graph
from reconciler.validation.issues import Path


@dataclass(frozen=True)
class SetIssue:
    manifest: Manifest
    message: str
    path: Path = ()  # inside spec
    warning: bool = False  # worth knowing, but AWS accepts it


def check_set(manifests: list[Manifest]) -> list[SetIssue]:
    out = list(_hooks(manifests))
    if not out:
        out.extend(_cycles(manifests))
    families = {m.name: m for m in manifests if m.kind is Kind.TASK_DEFINITION}
    for m in manifests:
        if m.kind in (Kind.SERVICE, Kind.TASK):
            family = graph.task_definition_family(str(m.spec.get("taskDefinition", "")))
            task_definition = families.get(family or "")
            if task_definition is not None:
                out.extend(_fits(m, task_definition.spec))
    out.extend(_capacity(manifests))
    return out


def _capacity(manifests: list[Manifest]) -> Iterator[SetIssue]:
    """EC2 capacity across manifests (pages in reconciler.validation.capacity):
    - ASGP: managed termination protection needs the group's NewInstancesProtectedFromScaleIn ("The Auto Scaling
      group and each instance in the Auto Scaling group must have instance protection from scale-in actions");
    - CS capacityProviderStrategy: a service's providers must be associated with its cluster;
    - a group pinned to a version number of a LaunchTemplate manifest never launches the versions reconciler
      creates (warning); a role in an instance profile must trust ec2.amazonaws.com (warning), and the instances
      of a capacity provider's group should join the cluster that uses it (warning)."""
    by_kind: dict[Kind, dict[str, Manifest]] = {}
    for m in manifests:
        by_kind.setdefault(m.kind, {})[m.name] = m
    groups, templates = by_kind.get(Kind.AUTO_SCALING_GROUP, {}), by_kind.get(Kind.LAUNCH_TEMPLATE, {})
    providers, clusters = by_kind.get(Kind.CAPACITY_PROVIDER, {}), by_kind.get(Kind.CLUSTER, {})
    for provider in providers.values():
        asg = provider.spec.get("autoScalingGroupProvider") or {}
        group = groups.get(capacity_refs.provider_group(provider.spec) or "")
        if group is not None and asg.get("managedTerminationProtection") == "ENABLED" and \
                not group.spec.get("NewInstancesProtectedFromScaleIn"):
            yield SetIssue(provider, f"managedTerminationProtection ENABLED needs AutoScalingGroup {group.name!r} to "
                                     "set NewInstancesProtectedFromScaleIn: true",
                           ("autoScalingGroupProvider", "managedTerminationProtection"))
    for m in manifests:
        if m.kind not in (Kind.SERVICE, Kind.TASK) or m.cluster not in clusters:
            continue
        associated = set(clusters[m.cluster].spec.get("capacityProviders") or [])
        for i, item in enumerate(m.spec.get("capacityProviderStrategy") or []):
            name = item.get("capacityProvider")
            if name not in associated:
                yield SetIssue(m, f"capacity provider {name!r} is not in the capacityProviders of Cluster "
                                  f"{m.cluster!r}", ("capacityProviderStrategy", i, "capacityProvider"))
    for group in groups.values():
        template = capacity_refs.group_template(group.spec) or {}
        if template.get("LaunchTemplateName") in templates and str(template.get("Version", "")).isdigit():
            yield SetIssue(group, f"version {template['Version']} of LaunchTemplate {template['LaunchTemplateName']!r} "
                                  "is fixed: the versions reconciler creates for changes are never launched (use "
                                  "$Default)", ("LaunchTemplate", "Version"), warning=True)
    yield from _trust_and_clusters(by_kind, providers, clusters)


def _trust_and_clusters(by_kind: dict[Kind, dict[str, Manifest]], providers: dict[str, Manifest],
                        clusters: dict[str, Manifest]) -> Iterator[SetIssue]:
    roles = by_kind.get(Kind.ROLE, {})
    for profile in by_kind.get(Kind.INSTANCE_PROFILE, {}).values():
        role = roles.get(capacity_refs.profile_role(profile.spec) or "")
        if role is not None and "ec2.amazonaws.com" not in str(role.spec.get("AssumeRolePolicyDocument")):
            yield SetIssue(profile, f"Role {role.name!r} does not trust ec2.amazonaws.com: instances with this profile "
                                    "cannot use it", ("Roles", 0), warning=True)
    groups, templates = by_kind.get(Kind.AUTO_SCALING_GROUP, {}), by_kind.get(Kind.LAUNCH_TEMPLATE, {})
    for cluster in clusters.values():
        for name in cluster.spec.get("capacityProviders") or []:
            provider = providers.get(name)
            group = groups.get(capacity_refs.provider_group(provider.spec) or "") if provider else None
            template = templates.get(capacity_refs.group_template_name(group.spec) or "") if group else None
            if template is None:
                continue
            text = (template.spec.get("LaunchTemplateData") or {}).get("UserData")
            joins = capacity_refs.user_data_cluster(text) or "default"
            if joins != cluster.name:
                yield SetIssue(template, f"its instances join cluster {joins!r} (ECS_CLUSTER in UserData), but their "
                                         f"capacity provider {name!r} serves Cluster {cluster.name!r}",
                               ("LaunchTemplateData", "UserData"), warning=True)


def _hooks(manifests: list[Manifest]) -> Iterator[SetIssue]:
    for m in manifests:
        for hook in ("runBefore", "runAfter"):
            for i, ref in enumerate(m.spec.get(hook) or []):
                if service_key(ref, manifests) is None:
                    yield SetIssue(m, f"{hook} names {ref!r}, which is not one Service manifest (use the service's "
                                      "name, or cluster/name when several clusters have it)", (hook, i))


def _cycles(manifests: list[Manifest]) -> list[SetIssue]:
    try:
        graph.topological(graph.edges(manifests))
    except graph.CycleError as exc:
        involved = set(exc.keys)
        first = next((m for m in manifests if m.key in involved and m.kind is Kind.TASK),
                     next(m for m in manifests if m.key in involved))
        return [SetIssue(first, f"{exc} (check runBefore/runAfter)")]
    return []


def _fits(m: Manifest, td: dict[str, Any]) -> Iterator[SetIssue]:
    awsvpc = td.get("networkMode") == "awsvpc"
    family = m.spec["taskDefinition"]
    network = m.spec.get("networkConfiguration")
    if awsvpc and not network:
        yield SetIssue(m, f"task definition {family!r} uses networkMode awsvpc: networkConfiguration is required")
    elif network and not awsvpc:
        yield SetIssue(m, f"networkConfiguration is only for awsvpc task definitions ({family!r} uses "
                          f"{td.get('networkMode') or 'bridge'})", ("networkConfiguration",))
    if m.spec.get("launchType") == "FARGATE" and not (awsvpc and td.get("cpu") and td.get("memory")):
        yield SetIssue(m, f"launchType FARGATE needs a Fargate task definition (awsvpc, task cpu and memory); "
                          f"{family!r} is not one", ("launchType",))
    containers = {c.get("name"): c for c in td.get("containerDefinitions") or [] if isinstance(c, dict)}
    for i, lb in enumerate(m.spec.get("loadBalancers") or []):
        name, port = lb.get("containerName"), lb.get("containerPort")
        if name is not None and name not in containers:
            yield SetIssue(m, f"containerName {name!r} is not a container of task definition {family!r}",
                           ("loadBalancers", i, "containerName"))
        elif name is not None and port is not None:
            ports = {p.get("containerPort") for p in containers[name].get("portMappings") or []}
            if port not in ports:
                yield SetIssue(m, f"containerPort {port} is not a port mapping of container {name!r}",
                               ("loadBalancers", i, "containerPort"))
        if awsvpc and lb.get("loadBalancerName"):
            yield SetIssue(m, "awsvpc services support Application and Network Load Balancers only (targetGroupArn), "
                              "not Classic (loadBalancerName)", ("loadBalancers", i, "loadBalancerName"))
    if awsvpc and m.spec.get("role"):
        yield SetIssue(m, "role is not allowed with an awsvpc task definition (ECS uses its service-linked role)",
                       ("role",))
    overrides = (m.spec.get("overrides") or {}).get("containerOverrides") or []
    for i, override in enumerate(overrides):
        name = override.get("name") if isinstance(override, dict) else None
        if name is not None and name not in containers:
            yield SetIssue(m, f"container override {name!r} is not a container of task definition {family!r}",
                           ("overrides", "containerOverrides", i, "name"))
