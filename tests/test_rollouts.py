"""Rollouts, rollback, one-off tasks and prune through the whole pipeline, against the sandbox's ECS
(moto + fixes + scheduler, in-process, at a fast pace)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader, pipeline
from reconciler.model.plan import Action
from reconciler.rollouts.observe import Phase

from .conftest import MANIFESTS

POLL = 0.05


def deploy(conn: Any, path: Path, **options: Any) -> tuple[Any, list[Any]]:
    """plan -> apply -> wait, as `reconciler apply` does; returns (apply result, rollout results)."""
    manifests = loader.load([str(path)], allow_empty=options.pop("allow_empty", False))
    plan, live = pipeline.plan(manifests, conn, pipeline.PlanOptions(**options))
    assert not plan.errors, plan.errors
    applied = pipeline.apply(plan, live, manifests, conn, "reconciler", rollout_timeout=30, poll_seconds=POLL)
    rollouts = list(applied.waited) + pipeline.wait(applied.rollouts, conn, poll_seconds=POLL)
    return applied.result, rollouts


def plan_of(conn: Any, path: Path, **options: Any) -> Any:
    manifests = loader.load([str(path)], allow_empty=options.pop("allow_empty", False))
    return pipeline.plan(manifests, conn, pipeline.PlanOptions(**options))[0]


def copy_examples(tmp_path: Path, migrate: bool = True) -> Path:
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    if not migrate:  # the migration runs the same image: a crashing image would fail it first
        (target / "migrate-task.yaml").unlink()
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_image_change_rolls_out_and_completes(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new image: migration runs, the service rolls to the new revision, everything converges."""
    m = copy_examples(tmp_path)
    result, rollouts = deploy(aws, m)
    assert result.ok and [r.ok for r in rollouts] == [True]
    monkeypatch.setenv("IMAGE_TAG", "2.0.0")
    result, rollouts = deploy(aws, m)
    assert result.ok, result.outcomes
    [rollout] = rollouts
    assert rollout.ok and rollout.task_definition.endswith("web:2")
    migrate = next(o for o in result.outcomes if str(o.key) == "Task/migrate")
    assert migrate.status == "applied" and "exit code 0" in migrate.message
    service = aws.ecs.describe_services("demo", ["web"])["web"]
    assert service["runningCount"] == 2 and len(service["deployments"]) == 1
    assert not plan_of(aws, m).has_changes
    aws.clients.mutations.calls.clear()
    result, rollouts = deploy(aws, m)
    assert result.ok and rollouts == [] and aws.clients.mutations.calls == []


def test_crashing_image_fails_rolls_back_and_is_held(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crashing image: the circuit breaker fails the deployment and rolls back to the last good
    revision; the failure names the stopped tasks' reason; the failed revision is not retried."""
    m = copy_examples(tmp_path, migrate=False)
    assert deploy(aws, m)[0].ok
    monkeypatch.setenv("IMAGE_TAG", "2.0-crash")
    result, [rollout] = deploy(aws, m)
    assert result.ok  # the API calls succeeded
    assert not rollout.ok and rollout.phase is Phase.ROLLED_BACK
    assert "rollout of web:2 failed" in rollout.message
    assert "Essential container in task exited" in rollout.message
    assert "rolled back to web:1" in rollout.message
    service = aws.ecs.describe_services("demo", ["web"])["web"]
    assert service["taskDefinition"].endswith("web:1")
    plan = plan_of(aws, m)
    [held] = [c for c in plan.changes if c.held]
    assert str(held.key) == "Service/demo/web" and "failed before" in held.held
    aws.clients.mutations.calls.clear()
    result, rollouts = deploy(aws, m)
    assert not result.ok and rollouts == []
    assert [o.status for o in result.outcomes if str(o.key) == "Service/demo/web"] == ["held"]
    assert "ecs.UpdateService" not in aws.clients.mutations.calls
    monkeypatch.setenv("IMAGE_TAG", "2.0.1")  # a fixed image: the manifest changed, the hold is gone
    result, [rollout] = deploy(aws, m)
    assert result.ok and rollout.ok and rollout.task_definition.endswith("web:3")
    assert not plan_of(aws, m).has_changes


def test_without_circuit_breaker_we_roll_back(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No breaker: ECS would retry forever; the rollout fails at the threshold and we roll back."""
    m = copy_examples(tmp_path, migrate=False)
    edit(m / "web-service.yaml", "      enable: true\n      rollback: true\n", "      enable: false\n"
         "      rollback: false\n")
    assert deploy(aws, m)[0].ok
    monkeypatch.setenv("IMAGE_TAG", "crash")
    _, [rollout] = deploy(aws, m)
    assert not rollout.ok and "tasks failed to start" in rollout.message and "rolled back to web:1" in rollout.message
    assert aws.ecs.describe_services("demo", ["web"])["web"]["taskDefinition"].endswith("web:1")


def test_rollback_off_leaves_the_failure(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With reconciler.io/rollback: "false" and no breaker, the failure is reported, nothing rolled back."""
    m = copy_examples(tmp_path, migrate=False)
    edit(m / "web-service.yaml", "      enable: true\n      rollback: true\n", "      enable: false\n"
         "      rollback: false\n")
    edit(m / "web-service.yaml", "  name: web\n", '  name: web\n  annotations:\n    reconciler.io/rollback: "false"\n')
    assert deploy(aws, m)[0].ok
    monkeypatch.setenv("IMAGE_TAG", "crash")
    _, [rollout] = deploy(aws, m)
    assert not rollout.ok and "rollback is off" in rollout.message


def test_failing_migration_blocks_the_service_rollout(aws: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration exiting 3: apply fails naming the exit code and logs; the service is not touched."""
    m = copy_examples(tmp_path)
    assert deploy(aws, m)[0].ok
    monkeypatch.setenv("IMAGE_TAG", "2.0.0")
    monkeypatch.setenv("MIGRATE_EXIT_CODE", "3")
    monkeypatch.setenv("RECONCILER_ALLOW_ENV", "MIGRATE_EXIT_CODE")  # (IMAGE_TAG is allowed by default)
    result, rollouts = deploy(aws, m)
    status = {str(o.key): o for o in result.outcomes}
    assert status["Task/migrate"].status == "failed"
    message = status["Task/migrate"].message
    assert "exited with code 3" in message and "/ecs/demo/web" in message and "web/web/" in message
    assert status["Service/demo/web"].status == "skipped" and rollouts == []
    assert aws.ecs.describe_services("demo", ["web"])["web"]["taskDefinition"].endswith("web:1")
    held = next(c for c in plan_of(aws, m).changes if str(c.key) == "Task/migrate")
    assert held.held and "exit=3" in held.held  # not re-run until the manifest changes


def test_task_runs_once_per_content(aws: Any, tmp_path: Path) -> None:
    """The migration runs with the first apply, not on the next ones."""
    m = copy_examples(tmp_path)
    result, _ = deploy(aws, m)
    assert [o.status for o in result.outcomes if str(o.key) == "Task/migrate"] == ["applied"]
    plan = plan_of(aws, m)
    [task] = [c for c in plan.changes if str(c.key) == "Task/migrate"]
    assert task.action is Action.NOOP and task.reason == "ran successfully"


def test_several_services_roll_out_concurrently(aws: Any, tmp_path: Path) -> None:
    """Three services are waited for together, each settling on its own."""
    m = copy_examples(tmp_path)
    service = (m / "web-service.yaml").read_text()
    for name in ("api", "worker"):
        (m / f"{name}-service.yaml").write_text(service.replace("  name: web\n", f"  name: {name}\n"))
    result, rollouts = deploy(aws, m)
    assert result.ok and sorted(str(r.key) for r in rollouts if r.ok) == [
        "Service/demo/api", "Service/demo/web", "Service/demo/worker"]


def test_prune_drains_and_deletes_only_what_we_own(aws: Any, tmp_path: Path) -> None:
    """A service manifest removed: with --prune it is drained and deleted; a service we do not own in
    the same cluster is untouched, and so the cluster stays."""
    m = copy_examples(tmp_path)
    extra = (m / "web-service.yaml").read_text().replace("  name: web\n", "  name: old\n")
    (m / "old-service.yaml").write_text(extra)
    assert deploy(aws, m)[0].ok
    td = aws.ecs.describe_services("demo", ["web"])["web"]["taskDefinition"]
    aws.clients.ecs.create_service(cluster="demo", serviceName="theirs", taskDefinition=td, desiredCount=0,
                                   launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                                       "subnets": ["subnet-0a0a0a0a0a0a0a0a1"]}})
    (m / "old-service.yaml").unlink()
    assert not plan_of(aws, m).has_changes  # without --prune nothing is deleted
    plan = plan_of(aws, m, prune=True)
    assert [(str(c.key), c.action.value) for c in plan.changes if c.is_change] == [("Service/demo/old", "delete")]
    result, _ = deploy(aws, m, prune=True)
    assert result.ok
    assert [o.message for o in result.outcomes if str(o.key) == "Service/demo/old"] == [
        "drained to 0 tasks and deleted (INACTIVE)"]
    remaining = aws.ecs.describe_services("demo", ["web", "old", "theirs"])
    assert sorted(remaining) == ["theirs", "web"]


def test_prune_of_everything_needs_allow_empty_and_spares_retained_repositories(aws: Any, tmp_path: Path) -> None:
    """An empty manifest set prunes only with --allow-empty; the repository (retain) stays; the cluster
    goes once its services are gone."""
    m = copy_examples(tmp_path)
    assert deploy(aws, m)[0].ok
    empty = tmp_path / "empty"
    empty.mkdir()
    from reconciler.errors import ManifestError

    with pytest.raises(ManifestError):
        loader.load([str(empty)])
    plan = plan_of(aws, empty, prune=True, allow_empty=True)
    deletes = [str(c.key) for c in plan.changes if c.action is Action.DELETE]
    assert deletes == ["Service/demo/web", "TaskDefinition/web:1", "Cluster/demo"]
    assert any("Repository/web left git and is kept" in w for w in plan.warnings)
    result, _ = deploy(aws, empty, prune=True, allow_empty=True)
    assert result.ok, result.outcomes
    assert aws.ecs.describe_clusters(["demo"]) == {}
    assert aws.ecr.describe_repository("web") is not None


def test_keep_last_revisions(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --prune, revisions beyond the last N that nothing runs are deregistered."""
    m = copy_examples(tmp_path)
    for tag in ("1", "2", "3", "4"):
        monkeypatch.setenv("IMAGE_TAG", tag)
        assert deploy(aws, m)[0].ok
    plan = plan_of(aws, m, prune=True, keep_revisions=2)
    assert [str(c.key) for c in plan.changes if c.action is Action.DELETE] == ["TaskDefinition/web:1",
                                                                                "TaskDefinition/web:2"]
    assert deploy(aws, m, prune=True, keep_revisions=2)[0].ok
    assert [a.rsplit("/", 1)[-1] for a in aws.ecs.list_task_definitions("web")] == ["web:4", "web:3"]


def test_prune_of_an_ec2_cluster_drains_its_container_instances(aws: Any, tmp_path: Path) -> None:
    """EC2 capacity: a service runs on a registered container instance; pruning drains the service, sets
    the instance DRAINING, deregisters it and deletes the cluster."""
    import json

    import boto3

    m = tmp_path / "m"
    m.mkdir()
    (m / "all.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: ec2}\nspec: {}\n---\n"
        "apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata: {name: app}\nspec:\n"
        "  requiresCompatibilities: [EC2]\n  containerDefinitions:\n"
        "    - {name: app, image: 'nginx:1', memory: 128, portMappings: [{containerPort: 80}]}\n---\n"
        "apiVersion: reconciler/v1\nkind: Service\nmetadata: {name: app}\nspec:\n  cluster: ec2\n"
        "  taskDefinition: app\n  desiredCount: 1\n  launchType: EC2\n")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    aws.clients.ecs.create_cluster(clusterName="ec2", tags=[{"key": "reconciler:managed-by", "value": "reconciler"}])
    [instance] = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"]
    document = json.dumps({"instanceId": instance["InstanceId"], "region": "us-east-1"})
    aws.clients.ecs.register_container_instance(cluster="ec2", instanceIdentityDocument=document)
    result, [rollout] = deploy(aws, m)
    assert result.ok and rollout.ok, rollout.message
    [arn] = aws.ecs.list_container_instances("ec2")
    assert aws.ecs.describe_container_instances("ec2", [arn])[0]["runningTasksCount"] == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    result, _ = deploy(aws, empty, prune=True, allow_empty=True)
    messages = {str(o.key): o.message for o in result.outcomes}
    assert result.ok, result.outcomes
    assert messages["Cluster/ec2"] == "deleted after draining 1 container instance(s)"
    assert aws.ecs.describe_clusters(["ec2"]) == {}


def test_run_after_hook_waits_for_the_rollout(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A smoke-test task with runAfter: [web] runs only once web rolled out, and then it runs."""
    m = copy_examples(tmp_path)
    (m / "smoke-task.yaml").write_text((m / "migrate-task.yaml").read_text()
                                       .replace("name: migrate", "name: smoke")
                                       .replace("runBefore: [web]", "runAfter: [web]"))
    result, rollouts = deploy(aws, m)
    assert result.ok
    order = [str(o.key) for o in result.outcomes]
    assert order.index("Service/demo/web") < order.index("Task/smoke")
    assert [str(r.key) for r in rollouts] == ["Service/demo/web"] and rollouts[0].ok  # waited for before smoke
    monkeypatch.setenv("IMAGE_TAG", "crash")
    (m / "migrate-task.yaml").unlink()
    result, rollouts = deploy(aws, m)
    smoke = next(o for o in result.outcomes if str(o.key) == "Task/smoke")
    assert smoke.status == "failed" and "did not roll out" in smoke.message


def test_prune_refuses_what_changed_owner_since_the_plan(aws: Any, tmp_path: Path) -> None:
    """Between plan and apply someone else took the service over: it is not deleted, and that is said."""
    from reconciler.apply.context import ApplyContext
    from reconciler.apply.executor import apply_plan

    m = copy_examples(tmp_path)
    (m / "old-service.yaml").write_text((m / "web-service.yaml").read_text().replace("  name: web\n", "  name: old\n"))
    assert deploy(aws, m)[0].ok
    (m / "old-service.yaml").unlink()
    manifests = loader.load([str(m)])
    plan, live = pipeline.plan(manifests, aws, pipeline.PlanOptions(prune=True))
    arn = aws.ecs.describe_services("demo", ["old"])["old"]["serviceArn"]
    aws.ecs.tag_resource(arn, {"reconciler:managed-by": "team-b"}, "test")
    result = apply_plan(plan, manifests, ApplyContext(ecs=aws.ecs, ecr=aws.ecr, live=live, owner="reconciler",
                                                      poll_seconds=POLL))
    [outcome] = [o for o in result.outcomes if str(o.key) == "Service/demo/old"]
    assert outcome.status == "failed" and "'team-b'" in outcome.message and "not deleted" in outcome.message
    assert "old" in aws.ecs.describe_services("demo", ["old"])


def test_prune_keeps_revisions_someone_else_registered(aws: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Old revisions of one of our families, registered by another tool, are not deregistered."""
    m = copy_examples(tmp_path, migrate=False)
    aws.clients.ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 64}], tags=[{"key": "team", "value": "other"}])  # web:1
    monkeypatch.setenv("IMAGE_TAG", "1")
    assert deploy(aws, m, adopt=frozenset({"TaskDefinition/web"}))[0].ok  # web:2 is ours
    for tag in ("2", "3"):
        monkeypatch.setenv("IMAGE_TAG", tag)
        assert deploy(aws, m)[0].ok
    plan = plan_of(aws, m, prune=True, keep_revisions=1)
    assert [str(c.key) for c in plan.changes if c.action is Action.DELETE] == ["TaskDefinition/web:2",
                                                                                "TaskDefinition/web:3"]
    assert any("1 old revision(s) registered by someone else" in w for w in plan.warnings)
