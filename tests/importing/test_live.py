"""`reconciler import` from live AWS, against moto with the sandbox's ECS fixes: what users built by hand (or
with another tool) imports, plans only the adoption, and converges."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import loader
from reconciler.errors import ReconcilerError
from reconciler.importing.live import import_live

from ..conftest import FIXTURES, MANIFESTS
from .helpers import apply, assert_round_trip, plan, write

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-0a0a0a0a0a0a0a0a1"], "securityGroups": ["sg-0a0a0a0a0a0a0a0a1"],
                                   "assignPublicIp": "DISABLED"}}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.0"


def by_hand(conn: Any) -> None:
    """A cluster, a repository, two task definitions and two services, as someone made them with the SDK."""
    ecs, ecr = conn.clients.ecs, conn.clients.ecr
    ecs.create_cluster(clusterName="shop", settings=[{"name": "containerInsights", "value": "enabled"}],
                       tags=[{"key": "team", "value": "shop"}])
    ecr.create_repository(repositoryName="shop/web", imageTagMutability="IMMUTABLE",
                          tags=[{"Key": "team", "Value": "shop"}])
    ecr.put_lifecycle_policy(repositoryName="shop/web", lifecyclePolicyText=json.dumps({"rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
         "action": {"type": "expire"}}]}))
    ecs.register_task_definition(
        family="shop-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        executionRoleArn="arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        containerDefinitions=[{
            "name": "web", "image": IMAGE, "essential": True, "cpu": 0,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "GREETING", "value": "hi ${USER}"},
                            {"name": "LOG_LEVEL", "value": "info"}],
            "dockerLabels": {"com.example.api-key": "k-123", "team": "shop"},
            "command": ["sh", "-c", "echo ${HOME}\nexec nginx -g 'daemon off;'"],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 30,
                            "timeout": 5, "retries": 3},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/shop", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}}],
        tags=[{"key": "app", "value": "web"}])
    ecs.register_task_definition(family="shop-worker", containerDefinitions=[
        {"name": "worker", "image": "busybox:1.36", "memory": 128, "command": ["sleep", "3600"],
         "portMappings": [{"containerPort": 8080}]}])
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition="shop-web", desiredCount=2,
                       launchType="FARGATE", networkConfiguration=NETWORK, tags=[{"key": "app", "value": "web"}],
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                                "maximumPercent": 200, "minimumHealthyPercent": 100})
    ecs.create_service(cluster="shop", serviceName="worker", taskDefinition="shop-worker", desiredCount=1,
                       launchType="EC2")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_hand_made_resources_import_plan_only_adoption_and_converge(aws: Any, tmp_path: Path) -> None:
    """The issue's "done when": a cluster, two services, their task definitions and a repository made
    outside reconciler import; plan shows only the adoption; after apply plan is empty."""
    by_hand(aws)
    aws.clients.mutations.calls.clear()
    result = import_live(aws.ecs, aws.ecr, "us-east-1", ["shop"], [], all_clusters=False)
    assert aws.clients.mutations.calls == []  # import only reads
    assert result.warnings == []
    variables = write(result, tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yaml"))
    assert files == ["clusters/shop/cluster.yaml", "clusters/shop/web/service.yaml", "clusters/shop/web/taskdef.yaml",
                     "clusters/shop/worker/service.yaml", "clusters/shop/worker/taskdef.yaml",
                     "repositories/shop/web.yaml"]
    assert variables == {"WEB_DB_PASSWORD": "hunter2", "WEB_COM_EXAMPLE_API_KEY": "k-123"}
    first = assert_round_trip(aws, tmp_path, variables)
    assert first.summary()["update"] == 6
    tags = aws.ecs.describe_services("shop", ["web"])["web"]["tags"]
    assert {"key": "reconciler:managed-by", "value": "reconciler"} in tags


def test_imported_files_are_short_and_hold_no_secret(aws: Any, tmp_path: Path) -> None:
    """AWS defaults are left out, references are by name, and the secret values appear nowhere on disk."""
    by_hand(aws)
    write(import_live(aws.ecs, aws.ecr, "us-east-1", ["shop"], [], all_clusters=False), tmp_path)
    text = "".join(p.read_text() for p in tmp_path.rglob("*.yaml"))
    assert "hunter2" not in text and "k-123" not in text
    taskdef = load(tmp_path / "clusters/shop/web/taskdef.yaml")
    assert taskdef["metadata"] == {"name": "shop-web", "annotations": {"reconciler.io/adopt": "true"}}
    [web] = taskdef["spec"]["containerDefinitions"]
    assert "essential" not in web and "cpu" not in web  # AWS defaults, as plan compares
    assert web["portMappings"] == [{"containerPort": 80}]  # protocol tcp and hostPort = containerPort dropped
    assert web["healthCheck"] == {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]}
    assert web["environment"][0] == {"name": "DB_PASSWORD", "value": "${WEB_DB_PASSWORD}"}
    assert web["environment"][1] == {"name": "GREETING", "value": "hi $${USER}"}  # a literal, escaped
    assert web["command"][2] == "echo $${HOME}\nexec nginx -g 'daemon off;'"
    repository = load(tmp_path / "repositories/shop/web.yaml")["spec"]
    assert repository["imageTagMutability"] == "IMMUTABLE" and "encryptionConfiguration" not in repository
    assert repository["lifecyclePolicy"]["rules"][0]["selection"]["countNumber"] == 20  # an object, not JSON text
    service = load(tmp_path / "clusters/shop/web/service.yaml")["spec"]
    assert service["cluster"] == "shop" and service["taskDefinition"] == "shop-web"
    assert "schedulingStrategy" not in service and "deploymentController" not in service
    raw = (tmp_path / "clusters/shop/web/taskdef.yaml").read_text()
    assert raw.startswith("# yaml-language-server: $schema=../../../reconciler.schema.json\n")
    assert "#   ${WEB_DB_PASSWORD}  spec.containerDefinitions[web].environment[DB_PASSWORD]" in raw


def test_a_service_on_an_older_revision_is_imported_as_it_runs_with_a_warning(aws: Any, tmp_path: Path) -> None:
    """The manifest holds the revision the service runs; since a TaskDefinition manifest means the latest
    revision, the import says the first apply will register it again and roll the service out."""
    by_hand(aws)
    aws.clients.ecs.register_task_definition(family="shop-worker", containerDefinitions=[
        {"name": "worker", "image": "busybox:1.37", "memory": 128}])
    result = import_live(aws.ecs, aws.ecr, "us-east-1", ["shop"], ["worker"], all_clusters=False)
    [warning] = result.warnings
    assert warning.document == "TaskDefinition/shop-worker"
    assert "run shop-worker:1" in warning.message and "latest ACTIVE revision is shop-worker:2" in warning.message
    variables = write(result, tmp_path)
    [worker] = load(tmp_path / "clusters/shop/worker/taskdef.yaml")["spec"]["containerDefinitions"]
    assert worker["image"] == "busybox:1.36"
    changed = {str(c.key) for c in plan(aws, tmp_path, variables).changes
               if c.is_change and any(not f.path.startswith("tags[") for f in c.fields)}
    assert changed == {"TaskDefinition/shop-worker", "Service/shop/worker"}


def test_a_family_several_services_run_is_written_once_in_task_definitions(aws: Any, tmp_path: Path) -> None:
    by_hand(aws)
    aws.clients.ecs.create_service(cluster="shop", serviceName="worker-2", taskDefinition="shop-worker",
                                   desiredCount=1, launchType="EC2")
    result = import_live(aws.ecs, aws.ecr, "us-east-1", ["shop"], ["worker", "worker-2"], all_clusters=False)
    variables = write(result, tmp_path)
    assert (tmp_path / "task-definitions/shop-worker.yaml").exists()
    assert not (tmp_path / "clusters/shop/worker/taskdef.yaml").exists()
    assert sorted(p.name for p in (tmp_path / "clusters/shop").iterdir()) == ["cluster.yaml", "worker", "worker-2"]
    assert_round_trip(aws, tmp_path, variables)


def test_unknown_cluster_or_service_is_an_error(aws: Any) -> None:
    by_hand(aws)
    with pytest.raises(ReconcilerError, match="no such ACTIVE cluster in us-east-1: nope"):
        import_live(aws.ecs, aws.ecr, "us-east-1", ["shop", "nope"], [], all_clusters=False)
    with pytest.raises(ReconcilerError, match=r"no such ACTIVE service .*: nope"):
        import_live(aws.ecs, aws.ecr, "us-east-1", ["shop"], ["web", "nope"], all_clusters=False)


def test_images_from_elsewhere_are_left_alone_and_a_missing_repository_is_warned(aws: Any) -> None:
    ecs = aws.clients.ecs
    ecs.create_cluster(clusterName="mixed")
    ecs.register_task_definition(family="mixed", containerDefinitions=[
        {"name": "a", "image": "999999999999.dkr.ecr.us-east-1.amazonaws.com/theirs:1", "memory": 64},
        {"name": "b", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/gone@sha256:" + "a" * 64,
         "memory": 64},
        {"name": "c", "image": "public.ecr.aws/nginx/nginx:1.27", "memory": 64}])
    ecs.create_service(cluster="mixed", serviceName="svc", taskDefinition="mixed", desiredCount=0)
    result = import_live(aws.ecs, aws.ecr, "us-east-1", ["mixed"], [], all_clusters=False)
    messages = sorted(w.message for w in result.warnings)
    assert messages == ["ECR repository 'gone' does not exist (the image cannot be pulled)",
                        "image 999999999999.dkr.ecr.us-east-1.amazonaws.com/theirs:1 is in another account or "
                        "region: its repository is not imported"]
    assert {d.kind.value for d in result.documents} == {"Cluster", "Service", "TaskDefinition"}


def test_everything_another_owner_built_from_the_examples_imports_and_is_adopted(aws: Any, tmp_path: Path) -> None:
    """The shipped manifests and every real-world task definition fixture, applied by another owner (so they
    carry its ownership tags), imported with --all-clusters: only the ownership changes hands."""
    source = tmp_path / "source"
    shutil.copytree(MANIFESTS, source / "m")
    (source / "m" / "migrate-task.yaml").unlink()
    repository = source / "m" / "repository.yaml"  # a deletion policy is recorded on the repository: kept
    repository.write_text(repository.read_text().replace(
        "  name: web\n", "  name: web\n  annotations:\n    reconciler.io/deletion-policy: delete\n"))
    shutil.copytree(FIXTURES / "taskdefs", source / "taskdefs")
    services = []
    for manifest in loader.load([str(source / "taskdefs")]).manifests:
        fargate = "FARGATE" in manifest.spec.get("requiresCompatibilities", [])
        extra = f"  launchType: {'FARGATE' if fargate else 'EC2'}\n"
        if manifest.spec.get("networkMode") == "awsvpc":
            extra += "  networkConfiguration:\n    awsvpcConfiguration:\n      subnets: [subnet-0a0a0a0a0a0a0a0a1]\n"
        services.append(f"apiVersion: reconciler/v1\nkind: Service\nmetadata:\n  name: svc-{manifest.name}\nspec:\n"
                        f"  cluster: demo\n  taskDefinition: {manifest.name}\n  desiredCount: 0\n{extra}")
    (source / "services.yaml").write_text("---\n".join(services))
    apply(aws, source, {}, owner="someone-else")
    out = tmp_path / "out"
    result = import_live(aws.ecs, aws.ecr, "us-east-1", [], [], all_clusters=True)
    # The fixtures pull from repositories that nobody created: said, not imported.
    assert {w.message.split("'")[1] for w in result.warnings} == {"catalog", "orders-api", "queue-worker", "storefront"}
    assert all(w.message.endswith("does not exist (the image cannot be pulled)") for w in result.warnings)
    variables = write(result, out)
    assert len(result.documents) == 1 + 2 * 14 + 1  # the cluster, 14 services and families, the repository
    first = assert_round_trip(aws, out, variables)
    claims = {str(c.key): [(f.path, f.before, f.after) for f in c.fields] for c in first.changes}
    assert all(claim[0] == ("tags[reconciler:managed-by]", "someone-else", "reconciler") for claim in
               claims.values()), claims
    assert claims["Repository/web"] == [("tags[reconciler:managed-by]", "someone-else", "reconciler")]
    assert "reconciler.io/deletion-policy: delete" in (out / "repositories/web.yaml").read_text()
