"""The invariant of the product, through the whole pipeline against moto with the sandbox's ECS fixes:
after apply, plan shows no changes, and a second apply makes no mutating AWS call."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader, pipeline
from reconciler.model.plan import Action, ApplyResult, Plan

from .conftest import FIXTURES, MANIFESTS

OWNER = "reconciler"
SUBNETS = "[subnet-0a0a0a0a0a0a0a0a1, subnet-0a0a0a0a0a0a0a0a2]"


def plan_of(conn: Any, paths: list[str]) -> Plan:
    plan, _ = pipeline.plan(loader.load(paths), conn, pipeline.PlanOptions(owner=OWNER))
    return plan


def apply_once(conn: Any, paths: list[str]) -> tuple[Plan, ApplyResult]:
    manifests = loader.load(paths)
    plan, live = pipeline.plan(manifests, conn, pipeline.PlanOptions(owner=OWNER))
    assert not plan.errors, plan.errors
    return plan, pipeline.apply(plan, live, manifests, conn, OWNER, poll_seconds=0.05).result


def assert_converges(conn: Any, paths: list[str]) -> None:
    _, result = apply_once(conn, paths)
    assert result.ok, [o for o in result.outcomes if o.status != "applied"]
    after = plan_of(conn, paths)
    assert not after.has_changes, [(str(c.key), c.fields) for c in after.changes if c.is_change]
    conn.clients.mutations.calls.clear()
    _, again = apply_once(conn, paths)
    assert again.ok
    assert conn.clients.mutations.calls == [], "a second apply made mutating calls"


def service_manifest(name: str, td: str, cluster: str = "fixtures", extra: str = "") -> str:
    return (f"apiVersion: reconciler/v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  cluster: {cluster}\n"
            f"  taskDefinition: {td}\n  desiredCount: 1\n{extra}")


def test_examples_converge(aws: Any) -> None:
    """The shipped manifests: create everything, then nothing left to do, then no mutating call."""
    first = plan_of(aws, [str(MANIFESTS)])
    assert first.summary()["create"] == 5
    assert_converges(aws, [str(MANIFESTS)])


def test_real_task_definitions_and_their_services_converge(aws: Any, tmp_path: Path) -> None:
    """Every real-AWS task definition fixture (Fargate and EC2; awsvpc, bridge, host and default networking;
    sidecars, secrets, volumes, health checks, logs), each with a service, converges."""
    shutil.copytree(FIXTURES / "taskdefs", tmp_path / "taskdefs")
    (tmp_path / "cluster.yaml").write_text("apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n"
                                           "  name: fixtures\nspec: {}\n")
    services = []
    for manifest in loader.load([str(tmp_path / "taskdefs")]).manifests:
        fargate = "FARGATE" in manifest.spec.get("requiresCompatibilities", [])
        awsvpc = manifest.spec.get("networkMode") == "awsvpc"
        extra = f"  launchType: {'FARGATE' if fargate else 'EC2'}\n"
        if awsvpc:
            extra += f"  networkConfiguration:\n    awsvpcConfiguration:\n      subnets: {SUBNETS}\n"
        services.append(service_manifest(f"svc-{manifest.name}", manifest.name, extra=extra))
    (tmp_path / "services.yaml").write_text("---\n".join(services))
    assert_converges(aws, [str(tmp_path)])


def test_one_changed_field_plans_exactly_one_update(aws: Any, tmp_path: Path) -> None:
    """Change desiredCount in one manifest: one update, naming that field, and nothing else."""
    shutil.copytree(MANIFESTS, tmp_path / "m")
    assert_converges(aws, [str(tmp_path / "m")])
    path = tmp_path / "m" / "web-service.yaml"
    path.write_text(path.read_text().replace("desiredCount: 2", "desiredCount: 3"))
    plan = plan_of(aws, [str(tmp_path / "m")])
    [change] = [c for c in plan.changes if c.is_change]
    assert change.action is Action.UPDATE and str(change.key) == "Service/demo/web"
    assert [(f.path, f.before, f.after) for f in change.fields] == [("desiredCount", 2, 3)]
    assert_converges(aws, [str(tmp_path / "m")])


def test_image_change_registers_one_revision_and_moves_the_service(aws: Any, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A new image tag: one new revision; the service points at its full ARN."""
    assert_converges(aws, [str(MANIFESTS)])
    monkeypatch.setenv("IMAGE_TAG", "2.0.0")
    plan = plan_of(aws, [str(MANIFESTS)])
    assert {str(c.key): c.action.value for c in plan.changes if c.is_change} == {
        "TaskDefinition/web": "update", "Task/migrate": "create", "Service/demo/web": "update"}
    [td] = [c for c in plan.changes if str(c.key) == "TaskDefinition/web"]
    assert [f.path for f in td.fields] == ["containerDefinitions[web].image"]
    assert_converges(aws, [str(MANIFESTS)])
    service = aws.ecs.describe_services("demo", ["web"])["web"]
    assert service["taskDefinition"].endswith(":task-definition/web:2")


def test_aws_error_stops_dependents_keeps_what_succeeded_and_rerun_continues(aws: Any, tmp_path: Path) -> None:
    """A failing create names the resource and the AWS message; the fix and a re-run finish the job."""
    shutil.copytree(MANIFESTS, tmp_path / "m")
    path = tmp_path / "m" / "web-service.yaml"
    good = path.read_text()
    path.write_text(good.replace("subnet-0a0a0a0a0a0a0a0a1", "subnet-0000000000000dead"))
    _, result = apply_once(aws, [str(tmp_path / "m")])
    status = {str(o.key): o.status for o in result.outcomes}
    assert status == {"Repository/web": "applied", "Cluster/demo": "applied", "TaskDefinition/web": "applied",
                      "Task/migrate": "applied", "Service/demo/web": "failed"}
    [failed] = [o for o in result.outcomes if o.status == "failed"]
    assert "CreateService" in failed.message and "InvalidSubnetID.NotFound" in failed.message
    path.write_text(good)
    plan = plan_of(aws, [str(tmp_path / "m")])
    assert {str(c.key) for c in plan.changes if c.is_change} == {"Service/demo/web"}
    assert_converges(aws, [str(tmp_path / "m")])


def test_failure_skips_resources_that_depend_on_it(aws: Any, tmp_path: Path) -> None:
    """When a task definition cannot be registered, its service is not attempted. (AWS refuses it for a
    reason only AWS knows, e.g. a role it cannot pass: injected below botocore, since validation refuses
    everything it can know offline.)"""
    from botocore.awsrequest import AWSResponse

    class Refuse:
        def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
            body = b'{"__type":"ClientException","message":"Role is not valid"}'
            return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, Raw(body))

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **kwargs: Any) -> Any:
            yield self.body

    (tmp_path / "td.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n  name: bad\nspec:\n"
        "  requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n  cpu: 256\n  memory: 512\n"
        "  containerDefinitions:\n    - {name: a, image: nginx, memory: 128}\n")
    (tmp_path / "c.yaml").write_text("apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: fixtures}\n"
                                     "spec: {}\n")
    (tmp_path / "s.yaml").write_text(service_manifest("bad", "bad", extra=(
        "  launchType: FARGATE\n  networkConfiguration:\n    awsvpcConfiguration:\n"
        f"      subnets: {SUBNETS}\n")))
    aws.clients.ecs.meta.events.register_first("before-send.ecs.RegisterTaskDefinition", Refuse())
    aws.clients.mutations.calls.clear()
    _, result = apply_once(aws, [str(tmp_path)])
    status = {str(o.key): (o.status, o.message) for o in result.outcomes}
    assert status["TaskDefinition/bad"][0] == "failed" and "Role is not valid" in status["TaskDefinition/bad"][1]
    assert status["Service/fixtures/bad"] == ("skipped", "not attempted: TaskDefinition/bad failed")
    assert "ecs.CreateService" not in aws.clients.mutations.calls


def test_resources_we_do_not_own_are_not_touched(aws: Any) -> None:
    """A cluster created by someone else with other settings: plan refuses, apply changes nothing."""
    aws.clients.ecs.create_cluster(clusterName="demo", settings=[{"name": "containerInsights", "value": "disabled"}])
    plan = plan_of(aws, [str(MANIFESTS)])
    assert any("Cluster/demo exists in AWS but is not managed" in e for e in plan.errors)
    from reconciler.apply.executor import refusal

    assert refusal(plan, allow_replace=False)


def test_adopted_cluster_is_claimed_and_converges(aws: Any, tmp_path: Path) -> None:
    """With the adopt annotation the existing cluster is updated and tagged as ours."""
    aws.clients.ecs.create_cluster(clusterName="demo")
    shutil.copytree(MANIFESTS, tmp_path / "m")
    path = tmp_path / "m" / "cluster.yaml"
    path.write_text(path.read_text().replace("  name: demo\n", '  name: demo\n  annotations:\n'
                                                                '    reconciler.io/adopt: "true"\n'))
    assert_converges(aws, [str(tmp_path / "m")])
    tags = aws.ecs.describe_clusters(["demo"])["demo"]["tags"]
    assert {"key": "reconciler:managed-by", "value": OWNER} in tags


def test_bad_input_makes_no_aws_call_that_changes_anything(aws: Any, tmp_path: Path) -> None:
    """A dangling reference: the plan has errors and apply is refused before any mutating call."""
    (tmp_path / "s.yaml").write_text(service_manifest("web", "nope", cluster="nowhere"))
    plan = plan_of(aws, [str(tmp_path)])
    from reconciler.apply.executor import refusal

    assert len(refusal(plan, allow_replace=False)) == 2
    assert aws.clients.mutations.calls == []


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_updates_of_every_kind_converge(aws: Any, tmp_path: Path) -> None:
    """Repository settings and policies, cluster settings and capacity providers, tags: each update
    plans the fields it changes, applies, and converges."""
    m = tmp_path / "m"
    shutil.copytree(MANIFESTS, m)
    assert_converges(aws, [str(m)])
    edit(m / "repository.yaml", "imageTagMutability: IMMUTABLE", "imageTagMutability: MUTABLE")
    edit(m / "repository.yaml", "scanOnPush: true", "scanOnPush: false")
    edit(m / "repository.yaml", "countNumber: 30", "countNumber: 10")
    edit(m / "repository.yaml", "      Value: platform\n", "      Value: payments\n  repositoryPolicy:\n"
         "    Version: '2012-10-17'\n    Statement:\n      - Sid: pull\n        Effect: Allow\n"
         "        Principal: {AWS: 'arn:aws:iam::123456789012:root'}\n        Action: [ecr:BatchGetImage]\n")
    edit(m / "cluster.yaml", "value: enabled", "value: disabled")
    edit(m / "cluster.yaml", "capacityProviders: [FARGATE, FARGATE_SPOT]", "capacityProviders: [FARGATE]")
    edit(m / "web-taskdef.yaml", "      value: web\n", "      value: web2\n")
    plan = plan_of(aws, [str(m)])
    fields = {str(c.key): sorted(f.path for f in c.fields) for c in plan.changes if c.is_change}
    assert fields == {
        "Repository/web": ["imageScanningConfiguration.scanOnPush", "imageTagMutability",
                           "lifecyclePolicy.rules[0].selection.countNumber", "repositoryPolicy", "tags[team]"],
        "Cluster/demo": ["capacityProviders", "settings[containerInsights]"],
        "TaskDefinition/web": ["tags[app]"],
    }
    [td] = [c for c in plan.changes if str(c.key) == "TaskDefinition/web"]
    assert td.reason == "retags the latest revision"
    assert_converges(aws, [str(m)])
    assert aws.ecs.latest_task_definition_arn("web").endswith(":1"), "a tag change registered a revision"


def test_replace_is_refused_without_allow_replace_and_done_with_it(aws: Any, tmp_path: Path) -> None:
    """launchType cannot change in place: plan says replace; apply refuses; with --allow-replace the
    service is deleted, waited for until INACTIVE, and created again."""
    from reconciler.apply.context import ApplyContext
    from reconciler.apply.executor import apply_plan, refusal

    m = tmp_path / "m"
    shutil.copytree(MANIFESTS, m)
    assert_converges(aws, [str(m)])
    edit(m / "web-service.yaml", "  launchType: FARGATE\n",
         "  capacityProviderStrategy:\n    - {capacityProvider: FARGATE_SPOT, weight: 1}\n  launchType: EC2\n")
    edit(m / "web-service.yaml", "  launchType: EC2\n", "")
    plan = plan_of(aws, [str(m)])
    [svc] = [c for c in plan.changes if c.is_change]
    assert svc.action is Action.UPDATE  # strategy changes are updatable
    # (DAEMON services cannot run on Fargate: validation refuses that, as AWS does)
    edit(m / "web-service.yaml", "  capacityProviderStrategy:\n    - {capacityProvider: FARGATE_SPOT, weight: 1}\n",
         "  launchType: EC2\n  schedulingStrategy: DAEMON\n")
    edit(m / "web-service.yaml", "  desiredCount: 2\n", "")
    plan = plan_of(aws, [str(m)])
    [svc] = [c for c in plan.changes if c.is_change]
    assert svc.action is Action.REPLACE and svc.replace_fields == ("launchType", "schedulingStrategy")
    assert refusal(plan, allow_replace=False)
    assert refusal(plan, allow_replace=True) == []
    manifests = loader.load([str(m)])
    plan, live = pipeline.plan(manifests, aws, pipeline.PlanOptions(owner=OWNER))
    ctx = ApplyContext(ecs=aws.ecs, ecr=aws.ecr, live=live, owner=OWNER, poll_seconds=0.1)
    result = apply_plan(plan, manifests, ctx)
    assert result.ok, result.outcomes
    assert [o.message for o in result.outcomes if o.status == "applied"] == ["deleted and created on web:1"]
    assert aws.ecs.describe_services("demo", ["web"])["web"]["schedulingStrategy"] == "DAEMON"
    assert not plan_of(aws, [str(m)]).has_changes


def test_removing_a_task_definition_tag_converges(aws: Any, tmp_path: Path) -> None:
    """A tag taken out of a TaskDefinition manifest is removed from the revision (it was re-planned forever)."""
    m = tmp_path / "m"
    shutil.copytree(MANIFESTS, m)
    assert_converges(aws, [str(m)])
    path = m / "web-taskdef.yaml"
    path.write_text(path.read_text().replace("  tags:\n    - key: app\n      value: web\n", ""))
    [td] = [c for c in plan_of(aws, [str(m)]).changes if c.is_change]
    assert [(f.path, f.before, f.after) for f in td.fields] == [("tags", {"app": "web"}, None)]
    assert_converges(aws, [str(m)])


def test_tag_mutability_exclusion_filters_are_applied(aws: Any, tmp_path: Path) -> None:
    """imageTagMutabilityExclusionFilters are sent with the mutability (they were dropped: drift forever)."""
    m = tmp_path / "m"
    shutil.copytree(MANIFESTS, m)
    assert_converges(aws, [str(m)])
    path = m / "repository.yaml"
    path.write_text(path.read_text().replace(
        "  imageTagMutability: IMMUTABLE\n",
        "  imageTagMutability: IMMUTABLE_WITH_EXCLUSION\n  imageTagMutabilityExclusionFilters:\n"
        "    - {filterType: WILDCARD, filter: 'latest*'}\n"))
    assert_converges(aws, [str(m)])


def test_tags_taken_out_of_a_manifest_are_removed_but_not_others(aws: Any, tmp_path: Path) -> None:
    """A tag removed from the service manifest is untagged; a tag another tool put on the service stays."""
    m = tmp_path / "m"
    shutil.copytree(MANIFESTS, m)
    path = m / "web-service.yaml"
    path.write_text(path.read_text().replace("    - key: app\n      value: web\n",
                                             "    - key: app\n      value: web\n    - key: tier\n      value: front\n"))
    assert_converges(aws, [str(m)])
    arn = aws.ecs.describe_services("demo", ["web"])["web"]["serviceArn"]
    aws.ecs.tag_resource(arn, {"cost-center": "42"}, "test")  # someone else's tag
    path.write_text(path.read_text().replace("    - key: tier\n      value: front\n", ""))
    [change] = [c for c in plan_of(aws, [str(m)]).changes if c.is_change]
    assert sorted((f.path, f.after) for f in change.fields) == [
        ("tags[reconciler:tag-keys]", "app"), ("tags[tier]", None)]
    assert_converges(aws, [str(m)])
    tags = {t["key"]: t["value"] for t in aws.ecs.describe_services("demo", ["web"])["web"]["tags"]}
    assert "tier" not in tags and tags["cost-center"] == "42" and tags["app"] == "web"


def test_unowned_resource_in_sync_gets_no_bookkeeping_tags(aws: Any, tmp_path: Path) -> None:
    """A cluster someone else created, matching the manifest, is left untouched (no tag written)."""
    (tmp_path / "c.yaml").write_text("apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: theirs}\nspec:\n"
                                     "  tags: [{key: team, value: a}]\n")
    aws.clients.ecs.create_cluster(clusterName="theirs", tags=[{"key": "team", "value": "a"}])
    plan = plan_of(aws, [str(tmp_path)])
    assert not plan.has_changes and not plan.errors
