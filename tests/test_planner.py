"""Planning is pure: manifests plus a live snapshot give the plan, with no AWS involved."""

from __future__ import annotations

from pathlib import Path

from reconciler import loader
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.plan import Action, KnownAfterApply
from reconciler.model.tags import OWNER_TAG
from reconciler.planning.planner import build_plan

TD_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:3"
SERVICE = """apiVersion: reconciler/v1
kind: Service
metadata:
  name: web
{annotations}spec:
  cluster: main
  taskDefinition: {td}
{extra}"""
TASKDEF = """apiVersion: reconciler/v1
kind: TaskDefinition
metadata:
  name: app
spec:
  containerDefinitions:
    - {name: app, image: "nginx:1", memory: 128}
"""


def load(tmp_path: Path, *docs: str) -> loader.ManifestSet:
    for i, doc in enumerate(docs):
        (tmp_path / f"m{i}.yaml").write_text(doc)
    return loader.load([str(tmp_path)])


def service(td: str = "app", extra: str = "  desiredCount: 2\n", annotations: str = "") -> str:
    return SERVICE.format(td=td, extra=extra, annotations=annotations)


def live_world(service_spec: dict[str, object] | None = None, owner: str | None = "reconciler",
               image: str = "nginx:1") -> LiveState:
    tags = {OWNER_TAG: owner} if owner else {}
    state = LiveState()
    state.clusters["main"] = LiveResource(Kind.CLUSTER, "main", "arn:cluster/main", {}, tags)
    state.task_definitions["app"] = LiveResource(
        Kind.TASK_DEFINITION, "app", TD_ARN,
        {"containerDefinitions": [{"name": "app", "image": image, "memory": 128, "essential": True, "cpu": 0}]},
        tags)
    state.task_definition_refs["app"] = TD_ARN
    if service_spec is not None:
        spec = {"taskDefinition": TD_ARN, "desiredCount": 2, "launchType": "EC2", **service_spec}
        state.services["main/web"] = LiveResource(Kind.SERVICE, "web", "arn:service/main/web", spec, tags)
    return state


def actions(plan: object) -> dict[str, str]:
    return {str(c.key): c.action.value for c in plan.changes}  # type: ignore[attr-defined]


def test_create_everything_in_dependency_order(tmp_path: Path) -> None:
    """An empty account: creates, task definitions before services; the ARN is known after apply."""
    cluster = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: main}\nspec: {}\n"
    ms = load(tmp_path, TASKDEF, service(), cluster)
    plan = build_plan(ms, LiveState())
    assert [str(c.key) for c in plan.changes] == ["Cluster/main", "TaskDefinition/app", "Service/main/web"]
    assert set(actions(plan).values()) == {"create"}
    svc = plan.changes[-1]
    assert isinstance(svc.desired["taskDefinition"], KnownAfterApply)  # type: ignore[index]
    assert set(svc.depends_on) == {ResourceKey(Kind.CLUSTER, "main"), ResourceKey(Kind.TASK_DEFINITION, "app")}


def test_in_sync_is_all_noop(tmp_path: Path) -> None:
    """Live equals desired: nothing to do."""
    plan = build_plan(load(tmp_path, TASKDEF, service()), live_world({}))
    assert set(actions(plan).values()) == {"noop"} and not plan.has_changes and not plan.errors


def test_image_change_updates_task_definition_and_service(tmp_path: Path) -> None:
    """A new image: a new revision, and the service moves to it."""
    plan = build_plan(load(tmp_path, TASKDEF, service()), live_world({}, image="nginx:0"))
    td, svc = plan.changes
    assert td.action is Action.UPDATE and [f.path for f in td.fields] == ["containerDefinitions[app].image"]
    assert svc.action is Action.UPDATE and [f.path for f in svc.fields] == ["taskDefinition"]


def test_desired_count_left_out_leaves_live_count_alone(tmp_path: Path) -> None:
    """Autoscaling owns desiredCount when the manifest omits it."""
    plan = build_plan(load(tmp_path, TASKDEF, service(extra="")), live_world({"desiredCount": 7}))
    assert actions(plan)["Service/main/web"] == "noop"


def test_one_field_changed_is_one_update(tmp_path: Path) -> None:
    """desiredCount 2 -> 3 is exactly one field."""
    plan = build_plan(load(tmp_path, TASKDEF, service(extra="  desiredCount: 3\n")), live_world({}))
    [svc] = [c for c in plan.changes if c.is_change]
    assert [(f.path, f.before, f.after) for f in svc.fields] == [("desiredCount", 2, 3)]


def test_field_aws_cannot_update_is_a_replace(tmp_path: Path) -> None:
    """launchType cannot change in place (not in UpdateService): replace, and why."""
    plan = build_plan(load(tmp_path, TASKDEF, service(extra="  desiredCount: 2\n  launchType: EXTERNAL\n")),
                      live_world({}))
    svc = plan.changes[-1]
    assert svc.action is Action.REPLACE and svc.replace_fields == ("launchType",)


def test_resources_we_do_not_own_are_refused(tmp_path: Path) -> None:
    """A live service without our owner tag is never changed unless adopted."""
    plan = build_plan(load(tmp_path, TASKDEF, service(extra="  desiredCount: 3\n")), live_world({}, owner=None))
    svc = plan.changes[-1]
    assert svc.blocked and "not owned" in svc.blocked
    assert any("reconciler.io/adopt" in e for e in plan.errors)


def test_someone_elses_resources_are_refused(tmp_path: Path) -> None:
    """A resource owned by another owner id is refused, naming that owner."""
    plan = build_plan(load(tmp_path, TASKDEF, service(extra="  desiredCount: 3\n")), live_world({}, owner="team-b"))
    assert any("'team-b'" in e for e in plan.errors)


def test_adopting_claims_the_resource(tmp_path: Path) -> None:
    """The adopt annotation turns the refusal into an update that writes our owner tag."""
    annotations = '  annotations:\n    reconciler.io/adopt: "true"\n'
    plan = build_plan(load(tmp_path, TASKDEF, service(annotations=annotations)), live_world({}, owner=None),
                      adopt=frozenset({"TaskDefinition/app"}))
    assert not plan.errors
    assert actions(plan) == {"TaskDefinition/app": "update", "Service/main/web": "update"}
    assert plan.changes[-1].fields[-1].path == f"tags[{OWNER_TAG}]"


def test_in_sync_unowned_resource_is_left_alone(tmp_path: Path) -> None:
    """Nothing to change on an unowned resource is no error: we simply do not touch it."""
    plan = build_plan(load(tmp_path, TASKDEF, service()), live_world({}, owner=None))
    assert not plan.errors and not plan.has_changes


def test_dangling_references_are_errors(tmp_path: Path) -> None:
    """A service naming a cluster or task definition that exists nowhere is an error with its place."""
    plan = build_plan(load(tmp_path, service(td="missing")), LiveState())
    assert len(plan.errors) == 2
    assert all("m0.yaml:1:1" in e for e in plan.errors)
    assert any("cluster 'main'" in e for e in plan.errors)
    assert any("task definition 'missing'" in e for e in plan.errors)


def test_references_to_existing_live_resources_are_fine(tmp_path: Path) -> None:
    """A service may use a cluster and a task definition that exist live without manifests."""
    plan = build_plan(load(tmp_path, service(td="app")), live_world(None))
    assert not plan.errors and actions(plan) == {"Service/main/web": "create"}
    assert plan.changes[0].desired["taskDefinition"] == TD_ARN  # type: ignore[index]


def test_role_given_by_name_matches_the_arn_aws_reports(tmp_path: Path) -> None:
    """taskRoleArn: app-role (a name, which AWS accepts) against the ARN AWS returns is no change."""
    doc = TASKDEF.replace("spec:\n", "spec:\n  taskRoleArn: app-role\n")
    state = live_world({})
    spec = dict(state.task_definitions["app"].spec, taskRoleArn="arn:aws:iam::123456789012:role/app-role")
    state.task_definitions["app"] = LiveResource(Kind.TASK_DEFINITION, "app", TD_ARN, spec,
                                                 state.task_definitions["app"].tags)
    plan = build_plan(load(tmp_path, doc, service()), state)
    assert actions(plan)["TaskDefinition/app"] == "noop"
