"""What real AWS returns (tests/fixtures/aws: describe output with every default AWS fills in, reordered
environments, service-linked roles, deployments) imports to the manifests a person would write, and plans clean.
moto returns far less than real AWS; these fixtures cover the difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.importing import live, roundtrip
from reconciler.model.keys import Kind
from reconciler.planning.normalize import canonical

from ..conftest import FIXTURES

AWS = FIXTURES / "aws"
TASKDEFS = sorted((AWS / "taskdefs").glob("*.json"))


def described(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return {**data["taskDefinition"], "tags": data["tags"]}


@pytest.mark.parametrize("path", TASKDEFS, ids=[p.stem for p in TASKDEFS])
def test_task_definitions_import_to_the_hand_written_manifest(path: Path) -> None:
    """The import equals, as plan compares, the manifest the fixture was registered from, and leaves out every
    default AWS filled in (so it is no longer than that manifest)."""
    live_spec = described(path)
    imported = roundtrip.minimal(Kind.TASK_DEFINITION, roundtrip.input_form(Kind.TASK_DEFINITION, live_spec))
    assert roundtrip.differences(Kind.TASK_DEFINITION, imported, live_spec) == ()
    [manifest] = loader.load([str(FIXTURES / "taskdefs" / f"{path.stem}.yaml")]).manifests
    assert canonical(Kind.TASK_DEFINITION, imported) == canonical(Kind.TASK_DEFINITION, manifest.spec)
    for container in imported["containerDefinitions"]:
        assert container.get("essential") is not True and container.get("cpu") != 0
        assert all(m.get("protocol") != "tcp" for m in container.get("portMappings", []))
    for owned in ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
                  "registeredAt", "registeredBy", "family"):
        assert owned not in imported


@pytest.mark.parametrize("name", ["fargate-web-alb", "fargate-deployment-in-progress", "ec2-capacity-provider"])
def test_services_import_without_what_aws_fills_in_and_plan_clean(name: str) -> None:
    service = json.loads((AWS / "services" / f"{name}.json").read_text())
    ctx = live.LiveImport(ecs=None, ecr=None, region="us-east-1", cluster_names=[], service_names=[])  # type: ignore[arg-type]
    cluster = service["clusterArn"].rsplit("/", 1)[-1]
    doc = live._service_document(ctx, cluster, service["serviceName"], service)
    assert ctx.result.warnings == []
    spec = doc.spec
    assert spec["cluster"] == cluster
    assert spec["taskDefinition"] == service["taskDefinition"].rsplit("/", 1)[-1].split(":")[0]
    for key, default in live.SERVICE_DEFAULTS.items():  # what AWS fills in, left out; any other value kept
        assert spec.get(key) == (None if service.get(key, default) == default else service[key])
    for owned in ("role", "platformFamily", "events", "deployments", "status", "serviceArn"):
        assert owned not in spec  # role: AWS's service-linked role
    assert spec["desiredCount"] == service["desiredCount"]
    if service.get("loadBalancers"):
        assert spec["loadBalancers"] == service["loadBalancers"]


def test_cluster_imports_its_settings_capacity_providers_and_tags() -> None:
    cluster = json.loads((AWS / "clusters" / "fargate.json").read_text())
    spec = roundtrip.minimal(Kind.CLUSTER, roundtrip.input_form(Kind.CLUSTER, cluster))
    assert spec == {
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "configuration": {"executeCommandConfiguration": {"logging": "DEFAULT"}},
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],  # base 0: AWS's default
        "tags": [{"key": "env", "value": "prod"}, {"key": "managed-by", "value": "gitops-reconciler"}]}
    assert roundtrip.differences(Kind.CLUSTER, spec, cluster) == ()
