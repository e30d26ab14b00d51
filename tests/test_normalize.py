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
