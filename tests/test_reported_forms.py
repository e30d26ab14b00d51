"""Issue 13: fields AWS reports in another form than the one it was sent in. For each case, the real output AWS
gives (tests/fixtures/aws/reported, sources in the README there) plans no change against the manifest that
produced it, and one real change of the same field still shows, exactly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.live.services import service_spec
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.plan import Action, ResourceChange
from reconciler.model.tags import OWNER_TAG, tags_to_map
from reconciler.planning.planner import build_plan

from .conftest import FIXTURES

REPORTED = FIXTURES / "aws" / "reported"
OURS = {OWNER_TAG: "reconciler"}


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((REPORTED / f"{name}.json").read_text()))


def manifest_text(case: dict[str, Any], spec: dict[str, Any]) -> str:
    if case["kind"] == "Service":
        spec = {"cluster": case["cluster"], **spec}
    doc = {"apiVersion": "reconciler/v1", "kind": case["kind"], "metadata": {"name": case["name"]}, "spec": spec}
    return json.dumps(doc)


def live_state(case: dict[str, Any], lookups: bool = True) -> LiveState:
    """What reconciler.live reads for the case: the reported output as the readers store it."""
    state = LiveState()
    reported, name = copy.deepcopy(case["reported"]), case["name"]
    if lookups:
        state.aliases = {arn: frozenset(names) for arn, names in case.get("lookups", {}).items()}
    kind = Kind(case["kind"])
    if kind is Kind.CLUSTER:
        state.clusters[name] = LiveResource(kind, name, reported["clusterArn"], reported, OURS)
    elif kind is Kind.SERVICE:
        cluster = case["cluster"]
        state.clusters[cluster] = LiveResource(Kind.CLUSTER, cluster, f"arn:aws:ecs:::cluster/{cluster}", {}, OURS)
        arn = case["given"]["taskDefinition"]
        state.task_definition_refs[arn] = arn
        state.services[f"{cluster}/{name}"] = LiveResource(kind, name, reported["serviceArn"], service_spec(reported),
                                                           OURS, reported["status"])
    elif kind is Kind.TASK_DEFINITION:
        td = reported["taskDefinition"]
        spec = {**td, "tags": reported["tags"]}
        state.task_definitions[name] = LiveResource(kind, name, td["taskDefinitionArn"], spec,
                                                    {**tags_to_map(reported["tags"]), **OURS})
    else:
        repo = reported.get("describe", reported)
        spec = {k: v for k, v in repo.items() if k not in ("repositoryArn", "repositoryName", "registryId")}
        if "get_repository_policy" in reported:
            spec["repositoryPolicy"] = json.loads(reported["get_repository_policy"]["policyText"])
        state.repositories[name] = LiveResource(kind, name, repo["repositoryArn"], spec, OURS)
    return state


def plan_case(tmp_path: Path, case: dict[str, Any], spec: dict[str, Any] | None = None,
              lookups: bool = True) -> ResourceChange:
    path = tmp_path / "case.yaml"
    path.write_text(manifest_text(case, case["given"] if spec is None else spec))
    plan = build_plan(loader.load([str(path)]), live_state(case, lookups))
    assert not plan.errors, plan.errors
    [change] = [c for c in plan.changes if c.key.kind.value == case["kind"]]
    return change


CASES = sorted(p.stem for p in REPORTED.glob("*.json"))


@pytest.mark.parametrize("name", CASES)
def test_what_aws_reports_is_no_change(tmp_path: Path, name: str) -> None:
    """The manifest that produced the output, against the output: no change."""
    change = plan_case(tmp_path, fixture(name))
    assert change.action is Action.NOOP, change.fields


def _set(spec: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    node: Any = out
    parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return out


# One real change per case: (fixture, field set in the manifest, its new value, the change the plan must show).
REAL_CHANGES = [
    ("cluster-namespace-awscli", "serviceConnectDefaults.namespace", "other", "serviceConnectDefaults.namespace"),
    ("cluster-namespace-bootcamp", "serviceConnectDefaults.namespace", "other", "serviceConnectDefaults.namespace"),
    ("service-namespace-tutorial", "serviceConnectConfiguration.namespace",
     "arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-OTHER", "serviceConnectConfiguration.namespace"),
    ("service-namespace-capture", "serviceConnectConfiguration.namespace", "other",
     "serviceConnectConfiguration.namespace"),
    ("service-placement-host", "placementStrategy.0.field", "attribute:ecs.availability-zone",
     "placementStrategy[0].field"),
    ("service-role-path", "role", "/ecs/otherRole", "role"),
    ("repository-kms-key", "encryptionConfiguration.kmsKey", "alias/other", "encryptionConfiguration.kmsKey"),
    ("repository-policy-account", "repositoryPolicy.Statement.0.Principal.AWS", ["210987654321"],
     "repositoryPolicy.Statement[0].Principal.AWS"),
    ("taskdef-empty-env", "containerDefinitions.0.environment.0.value", "set",
     "containerDefinitions[example-service].environment[EXAMPLE_VARIABLE]"),
    ("taskdef-configured-at-launch", "volumes.0.configuredAtLaunch", True, "volumes[test].configuredAtLaunch"),
    ("taskdef-proxy-properties", "proxyConfiguration.properties.4.value", "15002",
     "proxyConfiguration.properties[ProxyEgressPort]"),
]


@pytest.mark.parametrize("name,field,value,path", REAL_CHANGES, ids=[c[0] for c in REAL_CHANGES])
def test_a_real_change_still_shows_exactly(tmp_path: Path, name: str, field: str, value: Any, path: str) -> None:
    """Change the same field to another resource or value: exactly that one change is planned."""
    case = fixture(name)
    change = plan_case(tmp_path, case, _set(case["given"], field, value))
    assert change.action in (Action.UPDATE, Action.REPLACE)
    assert [f.path for f in change.fields] == [path], change.fields


def test_every_case_has_a_real_change() -> None:
    assert sorted({c[0] for c in REAL_CHANGES}) == CASES


@pytest.mark.parametrize("name", [n for n in CASES if fixture(n).get("lookups")])
def test_names_that_need_a_lookup_are_a_change_without_it(tmp_path: Path, name: str) -> None:
    """A namespace name or a KMS alias cannot be matched with an ARN from the ARN alone: without the live read
    (LiveState.aliases) the difference stays (and the plan says why: reconciler.live.identities)."""
    change = plan_case(tmp_path, fixture(name), lookups=False)
    assert change.action is not Action.NOOP


def test_a_key_given_by_id_matches_the_key_arn_without_a_lookup(tmp_path: Path) -> None:
    """A KMS key id is the last part of the key's ARN: no KMS read is needed."""
    case = fixture("repository-kms-key")
    spec = _set(case["given"], "encryptionConfiguration.kmsKey", case["given_key_id"])
    assert plan_case(tmp_path, case, spec, lookups=False).action is Action.NOOP


def test_a_role_given_by_name_without_its_path_matches(tmp_path: Path) -> None:
    """IAM role names are unique in an account: "ecsServiceRole" is the role whatever its path (aws-cli
    create-service example 4 gives the name and gets the ARN back)."""
    case = fixture("service-role-path")
    assert plan_case(tmp_path, case, _set(case["given"], "role", "ecsServiceRole")).action is Action.NOOP


def test_a_policy_principal_given_as_a_root_arn_matches_too(tmp_path: Path) -> None:
    """Either form of the account principal, in any order, is the same policy."""
    case = fixture("repository-policy-account")
    spec = _set(case["given"], "repositoryPolicy.Statement.0.Principal.AWS",
                ["arn:aws:iam::012345678910:root", "210987654321"])
    assert plan_case(tmp_path, case, spec).action is Action.NOOP
