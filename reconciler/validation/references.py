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

from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest, service_key
from reconciler.planning import graph
from reconciler.validation.issues import Path


@dataclass(frozen=True)
class SetIssue:
    manifest: Manifest
    message: str
    path: Path = ()  # inside spec


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
    return out


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
