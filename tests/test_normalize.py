"""Normalisation: what AWS fills in, reorders or owns never shows as a change; real changes always do.
The live side comes from real-AWS-shaped describe output (tests/fixtures/aws, sources in its README)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest
from reconciler.planning.diff import diff
from reconciler.planning.normalize import canonical, left_scoped

from .conftest import FIXTURES

TASKDEFS = sorted((FIXTURES / "taskdefs").glob("*.yaml"))


def manifest(path: Path) -> Manifest:
    [m] = loader.load([str(path)]).manifests
    return m


def aws_taskdef(stem: str) -> dict[str, Any]:
    described = json.loads((FIXTURES / "aws" / "taskdefs" / f"{stem}.json").read_text())
    spec = dict(described["taskDefinition"])
    spec["tags"] = described.get("tags", [])
    return spec


@pytest.mark.parametrize("path", TASKDEFS, ids=[p.stem for p in TASKDEFS])
def test_real_aws_task_definition_output_is_not_drift(path: Path) -> None:
    """AWS's additions (ARN, revision, requiresAttributes, defaults, hostPort...) are no change."""
    m = manifest(path)
    assert diff(canonical(Kind.TASK_DEFINITION, aws_taskdef(path.stem)),
                canonical(Kind.TASK_DEFINITION, m.spec)) == ()


@pytest.mark.parametrize("path", TASKDEFS, ids=[p.stem for p in TASKDEFS])
def test_one_changed_field_is_exactly_one_change(path: Path) -> None:
    """Changing the first container's image shows that one field, by container name."""
    m = manifest(path)
    spec = copy.deepcopy(m.spec)
    first = spec["containerDefinitions"][0]
    first["image"] = first["image"] + "-changed"
    [change] = diff(canonical(Kind.TASK_DEFINITION, aws_taskdef(path.stem)), canonical(Kind.TASK_DEFINITION, spec))
    assert change.path == f"containerDefinitions[{first['name']}].image"
    assert change.after == first["image"]


def test_live_field_absent_from_manifest_is_drift_for_task_definitions() -> None:
    """A task definition is a whole document: a field set live (not by AWS) but not in git is drift."""
    live = aws_taskdef("web-fargate-basic")
    live["containerDefinitions"][0]["user"] = "root"
    m = manifest(FIXTURES / "taskdefs" / "web-fargate-basic.yaml")
    [change] = diff(canonical(Kind.TASK_DEFINITION, live), canonical(Kind.TASK_DEFINITION, m.spec))
    assert change.path.endswith(".user") and change.before == "root" and change.after is None


def test_order_of_environment_secrets_and_tags_does_not_matter() -> None:
    """Sets keyed by name compare equal in any order."""
    spec = {
        "containerDefinitions": [{"name": "a", "image": "x", "memory": 1,
                                  "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                                  "secrets": [{"name": "S2", "valueFrom": "y"}, {"name": "S1", "valueFrom": "x"}]}],
        "tags": [{"key": "b", "value": "2"}, {"key": "a", "value": "1"}],
    }
    other = copy.deepcopy(spec)
    for field in ("environment", "secrets"):
        other["containerDefinitions"][0][field].reverse()
    other["tags"].reverse()
    assert canonical(Kind.TASK_DEFINITION, spec) == canonical(Kind.TASK_DEFINITION, other)


def test_numbers_and_strings_compare_by_the_api_type() -> None:
    """cpu "256" (AWS) and 256 (YAML) are the same; memory 512 and "512" too."""
    a = {"cpu": 256, "memory": "512", "containerDefinitions": [{"name": "a", "image": "x", "memory": "64"}]}
    b = {"cpu": "256", "memory": 512, "containerDefinitions": [{"name": "a", "image": "x", "memory": 64}]}
    assert canonical(Kind.TASK_DEFINITION, a) == canonical(Kind.TASK_DEFINITION, b)


def test_ownership_tags_are_not_compared() -> None:
    """The tags this product writes are bookkeeping, not user intent."""
    live = {"tags": [{"key": "reconciler:managed-by", "value": "x"}, {"key": "team", "value": "a"}]}
    assert canonical(Kind.CLUSTER, live) == {"tags": {"team": "a"}}


def test_service_fields_the_manifest_leaves_out_are_not_changes() -> None:
    """Left scope: AWS-filled service fields and an omitted desiredCount are not drift."""
    described = json.loads((FIXTURES / "aws" / "services" / "fargate-web-alb.json").read_text())
    desired = canonical(Kind.SERVICE, {
        "taskDefinition": described["taskDefinition"],
        "launchType": "FARGATE",
        "deploymentConfiguration": {"maximumPercent": 200},
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": list(reversed(described["networkConfiguration"]["awsvpcConfiguration"]["subnets"])),
        }},
    })
    live = left_scoped(canonical(Kind.SERVICE, described), desired)
    assert diff(live, desired) == ()


def test_service_change_inside_a_structure_is_named() -> None:
    """A nested service change names its full path."""
    described = json.loads((FIXTURES / "aws" / "services" / "fargate-web-alb.json").read_text())
    desired = canonical(Kind.SERVICE, {"deploymentConfiguration": {"minimumHealthyPercent": 50}})
    [change] = diff(left_scoped(canonical(Kind.SERVICE, described), desired), desired)
    assert change.path == "deploymentConfiguration.minimumHealthyPercent"
    assert (change.before, change.after) == (100, 50)


def test_cluster_output_is_not_drift() -> None:
    """Cluster counters, status and ARNs are not inputs and so never compared."""
    described = json.loads((FIXTURES / "aws" / "clusters" / "fargate.json").read_text())
    desired = canonical(Kind.CLUSTER, {"settings": described.get("settings", []),
                                       "capacityProviders": list(reversed(described.get("capacityProviders", [])))})
    assert diff(left_scoped(canonical(Kind.CLUSTER, described), desired), desired) == ()


def test_diff_names_fields_even_when_most_keys_change() -> None:
    """deepdiff would report a mostly-changed map as one root change; we always name the fields."""
    from reconciler.planning.diff import diff as field_diff

    changes = field_diff({"settings": {"containerInsights": "disabled"}},
                         {"settings": {"containerInsights": "enabled"}, "capacityProviders": ["FARGATE"],
                          "tags": {"team": "a"}})
    assert [c.path for c in changes] == ["capacityProviders", "settings[containerInsights]", "tags"]


def test_service_connect_is_read_from_the_primary_deployment() -> None:
    """AWS reports serviceConnectConfiguration (and volume / VPC Lattice configurations) only on the
    deployments: read from the PRIMARY one, it is not drift (it was a redeploy on every apply)."""
    from reconciler.live.services import service_spec

    described = json.loads((FIXTURES / "aws" / "services" / "fargate-web-alb.json").read_text())
    connect = {"enabled": True, "namespace": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1",
               "services": [{"portName": "http", "clientAliases": [{"port": 80}]}]}
    for d in described["deployments"]:
        if d["status"] == "PRIMARY":
            d["serviceConnectConfiguration"] = connect
    assert "serviceConnectConfiguration" not in described
    desired = canonical(Kind.SERVICE, {"serviceConnectConfiguration": connect})
    assert diff(left_scoped(canonical(Kind.SERVICE, service_spec(described)), desired), desired) == ()


def test_fields_aws_never_reports_are_not_compared() -> None:
    """gatewayConnectors and monitoring appear in no DescribeServices output: never a change."""
    from reconciler.planning.planner import UNOBSERVABLE_SERVICE_FIELDS

    assert {"gatewayConnectors", "monitoring"} <= UNOBSERVABLE_SERVICE_FIELDS


@pytest.mark.parametrize("kind", [Kind.SERVICE, Kind.CLUSTER])
def test_capacity_provider_strategy_defaults_are_not_drift(kind: Kind) -> None:
    """AWS returns base: 0 (and weight: 0) for strategy items that left them out."""
    field = "capacityProviderStrategy" if kind is Kind.SERVICE else "defaultCapacityProviderStrategy"
    desired = canonical(kind, {field: [{"capacityProvider": "FARGATE", "weight": 1},
                                       {"capacityProvider": "FARGATE_SPOT"}]})
    live = canonical(kind, {field: [{"capacityProvider": "FARGATE_SPOT", "weight": 0, "base": 0},
                                    {"capacityProvider": "FARGATE", "weight": 1, "base": 0}]})
    assert diff(live, desired) == ()


def test_cpu_and_memory_units_are_what_aws_registers() -> None:
    """"1 vCPU" and "2 GB" are registered as "1024" and "2048": no new revision on every apply."""
    container = [{"name": "a", "image": "x", "memory": 64}]
    manifest = canonical(Kind.TASK_DEFINITION, {"cpu": "1 vCPU", "memory": "2 GB", "containerDefinitions": container})
    live = canonical(Kind.TASK_DEFINITION, {"cpu": "1024", "memory": "2048", "containerDefinitions": container})
    assert diff(live, manifest) == ()
    half = canonical(Kind.TASK_DEFINITION, {"cpu": ".5 vcpu", "containerDefinitions": container})
    assert half["cpu"] == "512"


def test_lifecycle_rules_compare_by_priority() -> None:
    """ECR may return lifecycle rules in another order; they are ordered by rulePriority."""
    rule = {"selection": {"tagStatus": "tagged", "tagPrefixList": ["b", "a"], "countType": "imageCountMoreThan",
                          "countNumber": 5}, "action": {"type": "expire"}}
    mine = {"lifecyclePolicy": {"rules": [{**rule, "rulePriority": 1}, {**rule, "rulePriority": 2}]}}
    theirs = {"lifecyclePolicy": {"rules": [{**rule, "rulePriority": 2}, {**rule, "rulePriority": 1,
              "selection": {**rule["selection"], "tagPrefixList": ["a", "b"]}}]}}
    assert diff(canonical(Kind.REPOSITORY, theirs), canonical(Kind.REPOSITORY, mine)) == ()


def test_a_volume_with_only_a_name_is_compared() -> None:
    """A bind-mount volume has nothing but its name: adding or removing it is a change (it was pruned away as an
    empty map on both sides, so a new scratch volume never reached AWS)."""
    container = [{"name": "a", "image": "x", "memory": 64}]
    with_volume = canonical(Kind.TASK_DEFINITION, {"containerDefinitions": container, "volumes": [{"name": "scratch"}]})
    without = canonical(Kind.TASK_DEFINITION, {"containerDefinitions": container})
    [change] = diff(without, with_volume)
    assert change.path == "volumes" and change.after == {"scratch": {}}


def test_strategy_item_with_only_defaults_is_kept() -> None:
    """A capacity provider given with no weight (AWS reports weight 0, base 0) is still part of the strategy."""
    one = canonical(Kind.SERVICE, {"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]})
    two = canonical(Kind.SERVICE, {"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1},
                                                                {"capacityProvider": "FARGATE_SPOT"}]})
    assert [c.path for c in diff(one, two)] == ["capacityProviderStrategy[FARGATE_SPOT]"]
