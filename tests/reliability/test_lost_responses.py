"""Writes under lost responses: AWS carried the request out and the response never arrived (a read timeout, a
reset connection, a 5xx), injected below botocore's retry layer. No write may then happen twice: writes that are
not idempotent and carry no clientToken are not resent blindly by botocore, and the applier looks for their
result before writing again (reconciler.apply.idempotency); the others are idempotent or carry a clientToken,
and a resend of a delete that already happened counts as done."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader, pipeline
from reconciler.model.plan import ApplyResult

from ..conftest import MANIFESTS
from .faults import LoseResponse

OWNER = "reconciler"


def apply_once(conn: Any, path: Path, prune: bool = False) -> ApplyResult:
    manifests = loader.load([str(path)], allow_empty=True) if prune else loader.load([str(path)])
    options = pipeline.PlanOptions(owner=OWNER, prune=prune)
    plan, live = pipeline.plan(manifests, conn, options)
    assert not plan.errors, plan.errors
    return pipeline.apply(plan, live, manifests, conn, OWNER, poll_seconds=0.05).result


def assert_in_sync(observer: Any, path: Path) -> None:
    plan, _ = pipeline.plan(loader.load([str(path)]), observer, pipeline.PlanOptions(owner=OWNER))
    assert not plan.has_changes, [(str(c.key), c.fields) for c in plan.changes if c.is_change]


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    shutil.copytree(MANIFESTS, tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.parametrize("error", ["timeout", "reset", "500"])
def test_a_lost_registration_registers_one_revision(conn: Any, observer: Any, manifests: Path, error: str) -> None:
    """RegisterTaskDefinition's response is lost: botocore does not resend it; the applier finds the revision the
    lost request registered (it carries our sent digest) and uses it. One revision, not two."""
    lost = LoseResponse("RegisterTaskDefinition", error=error).install(conn.clients.ecs)
    result = apply_once(conn, manifests)
    assert result.ok, result.outcomes
    [outcome] = [o for o in result.outcomes if str(o.key) == "TaskDefinition/web"]
    assert outcome.message.startswith("registered web:1 (its response was lost: found the revision it registered")
    assert lost.sent == 1, "botocore resent a registration whose response was lost"
    assert len(observer.ecs.list_task_definitions("web")) == 1
    assert_in_sync(observer, manifests)


def test_a_registration_that_never_reached_aws_is_sent_again(conn: Any, observer: Any, manifests: Path) -> None:
    """Two 5xx answered before AWS acted (nothing registered): botocore does not resend, the applier finds
    nothing and sends again: one revision."""
    from .faults import Faults

    fail = Faults(seed=0, rate=1.0, only=frozenset({"RegisterTaskDefinition"}), kinds=(("server-error", False),))
    sent = []

    def first_two(request: Any, **kwargs: Any) -> Any:
        sent.append(1)
        return fail(request) if len(sent) <= 2 else None

    conn.clients.ecs.meta.events.register_first("before-send.ecs.RegisterTaskDefinition", first_two)
    result = apply_once(conn, manifests)
    assert result.ok, result.outcomes
    [outcome] = [o for o in result.outcomes if str(o.key) == "TaskDefinition/web"]
    assert outcome.message.startswith("registered web:1") and "lost" not in outcome.message
    assert len(sent) == 3 and len(observer.ecs.list_task_definitions("web")) == 1


def test_a_registration_failing_every_time_is_reported_not_duplicated(conn: Any, observer: Any,
                                                                     manifests: Path) -> None:
    """Every attempt answered with a 5xx before AWS acted: the failure is reported after a bounded number of
    sends (five), and nothing was registered."""
    from .faults import Faults

    Faults(seed=0, rate=1.0, only=frozenset({"RegisterTaskDefinition"}), kinds=(("server-error", False),)
           ).install(conn.clients.ecs)
    result = apply_once(conn, manifests)
    [outcome] = [o for o in result.outcomes if str(o.key) == "TaskDefinition/web"]
    assert outcome.status == "failed" and "ServerException" in outcome.message
    assert observer.ecs.list_task_definitions("web") == []


def test_throttling_is_still_retried_by_botocore(conn: Any, observer: Any, manifests: Path) -> None:
    """Throttling proves the request was not carried out: botocore retries RegisterTaskDefinition as before."""
    from .faults import Faults

    throttle = Faults(seed=0, rate=1.0, only=frozenset({"RegisterTaskDefinition"}), kinds=(("throttling", False),))
    sent = []

    def first_two(request: Any, **kwargs: Any) -> Any:
        sent.append(1)
        return throttle(request) if len(sent) <= 2 else None

    conn.clients.ecs.meta.events.register_first("before-send.ecs.RegisterTaskDefinition", first_two)
    result = apply_once(conn, manifests)
    assert result.ok, result.outcomes
    assert len(sent) == 3 and len(observer.ecs.list_task_definitions("web")) == 1


def test_a_lost_repository_creation_is_recognised(conn: Any, observer: Any, manifests: Path) -> None:
    """CreateRepository's response is lost; botocore resends it and AWS answers RepositoryAlreadyExists. The
    repository carries our tags (sent in the same request): it is ours, the apply goes on."""
    lost = LoseResponse("CreateRepository").install(conn.clients.ecr)
    result = apply_once(conn, manifests)
    assert result.ok, result.outcomes
    assert lost.sent == 2
    assert [r["repositoryName"] for r in observer.ecr.describe_repositories()] == ["web"]
    assert_in_sync(observer, manifests)


def test_someone_elses_repository_is_not_taken_for_ours(conn: Any, observer: Any, manifests: Path) -> None:
    """RepositoryAlreadyExists for a repository without our tags is the error it is."""
    observer.clients.ecr.create_repository(repositoryName="web")
    plan, _ = pipeline.plan(loader.load([str(manifests)]), conn, pipeline.PlanOptions(owner=OWNER))
    assert any("Repository/web exists in AWS but is not managed" in e for e in plan.errors)


@pytest.mark.parametrize("operation", ["CreateService", "CreateCluster", "RunTask", "TagResource",
                                       "PutLifecyclePolicy"])
def test_idempotent_writes_resent_after_a_lost_response_do_nothing_twice(conn: Any, observer: Any,
                                                                          manifests: Path, operation: str) -> None:
    """CreateService and RunTask carry a clientToken, CreateCluster returns the existing cluster, tags and
    policies are set to a value: botocore resends them, and there is still one of each."""
    client = conn.clients.ecr if operation == "PutLifecyclePolicy" else conn.clients.ecs
    lost = LoseResponse(operation).install(client)
    result = apply_once(conn, manifests)
    assert result.ok, result.outcomes
    assert lost.sent >= 2
    assert len(observer.ecs.list_services("demo")) == 1
    assert len(observer.ecs.list_clusters()) == 1
    assert len(one_off_runs(observer)) == 1
    assert_in_sync(observer, manifests)


def one_off_runs(observer: Any) -> list[dict[str, Any]]:
    arns = observer.ecs.list_tasks("demo", desired_status="STOPPED") + observer.ecs.list_tasks("demo")
    tasks = observer.ecs.describe_tasks("demo", arns)
    return [t for t in tasks if str(t.get("startedBy", "")).startswith("reconciler-")]


def test_one_off_task_runs_once_when_its_response_is_lost(conn: Any, observer: Any, manifests: Path) -> None:
    """RunTask resent after a lost response (same clientToken): one task was started, not two."""
    LoseResponse("RunTask", error="reset").install(conn.clients.ecs)
    assert apply_once(conn, manifests).ok
    assert len(one_off_runs(observer)) == 1


@pytest.mark.parametrize("operation", ["DeleteService", "DeregisterTaskDefinition", "DeleteCluster",
                                       "DeleteRepository"])
def test_a_delete_whose_response_was_lost_counts_as_done(conn: Any, observer: Any, manifests: Path,
                                                         operation: str) -> None:
    """Prune, with the response of one delete lost: botocore resends it, AWS says it is already gone (or
    going), and that is what we wanted."""
    repository = manifests / "repository.yaml"
    repository.write_text(repository.read_text().replace(
        "  name: web\n", "  name: web\n  annotations:\n    reconciler.io/deletion-policy: delete\n", 1))
    assert apply_once(conn, manifests).ok
    for path in manifests.glob("*.yaml"):
        path.unlink()
    client = conn.clients.ecr if operation == "DeleteRepository" else conn.clients.ecs
    lost = LoseResponse(operation, error="reset").install(client)
    result = apply_once(conn, manifests, prune=True)
    assert result.ok, [o for o in result.outcomes if o.status != "applied"]
    assert lost.sent >= 2
    assert observer.ecs.list_clusters() == [] and observer.ecr.describe_repositories() == []


def test_a_lost_lock_acquisition_is_still_ours(sandbox: Any) -> None:
    """The conditional UpdateItem that takes the lease is carried out, its response lost, and botocore resends
    it: the resend fails its condition against our own lease. That is our lease, not another writer's."""
    from reconciler.aws import dynamodb_lease as ddb
    from reconciler.locking.dynamodb import DynamoDBLock

    from .conftest import settings

    client = ddb.make_client(settings(sandbox))
    ddb.ensure_table(client, "locks")
    lost = LoseResponse("UpdateItem", error="reset").install(client)
    lock = DynamoDBLock(client, "locks", "apply", holder="writer-1", timeout=0, lease_seconds=30)
    lock.acquire(0)  # not LockHeldError("held by writer-1")
    assert lost.sent == 2 and lock.token == 1
    lock.check()
    lock.release()


def test_a_lost_lock_release_is_a_release(sandbox: Any) -> None:
    """The conditional DeleteItem that releases the lease is carried out and its response lost; the resend fails
    its condition because the item is gone: released, with no warning that the lock was lost."""
    from structlog.testing import capture_logs

    from reconciler.aws import dynamodb_lease as ddb
    from reconciler.locking.dynamodb import DynamoDBLock

    from .conftest import settings

    client = ddb.make_client(settings(sandbox))
    lock = DynamoDBLock(client, "locks", "apply", holder="writer-1", timeout=0, lease_seconds=30)
    lock.acquire(0)
    lost = LoseResponse("DeleteItem", error="timeout").install(client)
    with capture_logs() as logs:
        lock.release()
    assert lost.sent == 2
    assert [e for e in logs if e["log_level"] == "warning"] == []
    assert ddb.read(client, "locks", "apply") is None


def test_a_lost_service_update_starts_one_deployment(conn: Any, observer: Any, manifests: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """UpdateService sets values: resent after a lost response, it points the service at the same revision again
    and starts no second deployment."""
    assert apply_once(conn, manifests).ok
    monkeypatch.setenv("IMAGE_TAG", "2.0.0")
    lost = LoseResponse("UpdateService").install(conn.clients.ecs)
    assert apply_once(conn, manifests).ok
    assert lost.sent == 2
    service = observer.ecs.describe_services("demo", ["web"])["web"]
    assert service["taskDefinition"].endswith(":task-definition/web:2")
    assert len([d for d in service["deployments"] if d["taskDefinition"] == service["taskDefinition"]]) == 1
    assert len(observer.ecs.list_task_definitions("web")) == 2
