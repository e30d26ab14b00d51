"""Independent writes at once, with apply's semantics kept: outcomes reported in the plan's order, the dependents of
a failure not attempted, deletes last and one at a time, and the writers' lock checked before every mutating call
in whichever thread makes it (a writer that lost its lock sends nothing more)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from reconciler import loader, pipeline
from reconciler.errors import LockLostError
from reconciler.locking import install_fencing
from reconciler.locking.fencing import is_mutating
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.plan import Outcome

from .helpers import OWNER, apply_all, family, write


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def operation_of(request: Any) -> str:
    target = request.headers.get("X-Amz-Target", b"")
    return (target.decode() if isinstance(target, bytes) else str(target)).rsplit(".", 1)[-1]


class Wire:
    """A `before-send` handler: counts the mutating requests in flight (each held `hold` seconds before it goes
    out, so that overlapping ones overlap), and refuses those `refuse` picks with a ClientException."""

    def __init__(self, hold: float = 0.05, refuse: Any = None, slow: Any = None) -> None:
        self.hold, self.refuse, self.slow = hold, refuse, slow
        self.lock = threading.Lock()
        self.inflight = self.peak = 0
        self.sent: list[str] = []

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        operation = operation_of(request)
        if not is_mutating(operation):
            return None
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        with self.lock:
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
            self.sent.append(operation)
        try:
            time.sleep(self.hold + (0.5 if self.slow and self.slow(operation, body) else 0.0))
            if self.refuse and self.refuse(operation, body):
                error = b'{"__type":"ClientException","message":"refused by the test"}'
                return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(error))
            return None
        finally:
            with self.lock:
                self.inflight -= 1

    def install(self, conn: Any) -> Wire:
        for client in (conn.clients.ecs, conn.clients.ecr):
            client.meta.events.register_first("before-send", self.before_send)
        return self


def applied(conn: Any, paths: list[str], prune: bool = False) -> tuple[list[Outcome], Any]:
    manifests = loader.load(paths)
    options = pipeline.PlanOptions(owner=OWNER, prune=prune)
    plan, live = pipeline.plan(manifests, conn, options)
    reported: list[Outcome] = []
    result = pipeline.apply(plan, live, manifests, conn, OWNER, reported.append, poll_seconds=0.05)
    assert list(result.result.outcomes) == reported
    return reported, plan


def test_independent_writes_go_out_at_once_and_are_reported_in_the_plans_order(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=10, clusters=1))]
    first_family = family(0)
    wire = Wire(slow=lambda op, body: op == "RegisterTaskDefinition" and f'"{first_family}"' in body).install(aws)
    reported, plan = applied(aws, m)
    assert wire.peak > 1  # registrations (and then services) overlapped
    assert [o.key for o in reported] == [c.key for c in plan.changes]  # the slow first one is still reported first
    assert all(o.status == "applied" for o in reported)


def test_the_dependents_of_a_failure_are_not_attempted(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=6, clusters=1))]
    broken = family(2)
    wire = Wire(refuse=lambda op, body: op == "RegisterTaskDefinition" and f'"{broken}"' in body).install(aws)
    reported, _ = applied(aws, m)
    by_key = {o.key: o for o in reported}
    assert by_key[ResourceKey(Kind.TASK_DEFINITION, broken)].status == "failed"
    service = by_key[ResourceKey(Kind.SERVICE, "scale-0/svc-002")]
    assert service.status == "skipped" and service.message == f"not attempted: TaskDefinition/{broken} failed"
    assert sum(1 for o in reported if o.status == "applied") == 1 + 5 + 5  # the cluster, the other pairs
    assert wire.sent.count("CreateService") == 5


def test_deletes_wait_for_every_other_change_and_go_one_at_a_time(aws: Any, tmp_path: Path) -> None:
    apply_all(aws, [str(write(tmp_path / "before", services=4, clusters=1))])
    after = write(tmp_path / "after", services=6, clusters=1)  # two more services...
    text = (after / "all.yaml").read_text()
    docs = [d for d in text.split("---\n") if "svc-000" not in d and "app-000" not in d]  # ...and one less
    (after / "all.yaml").write_text("---\n".join(docs))
    wire = Wire().install(aws)
    reported, plan = applied(aws, [str(after)], prune=True)
    assert {o.status for o in reported} == {"applied", "unchanged"}, [o for o in reported if o.status == "failed"]
    deleting = [i for i, op in enumerate(wire.sent) if op.startswith(("Delete", "Deregister"))]
    creating = [i for i, op in enumerate(wire.sent) if op in ("RegisterTaskDefinition", "CreateService")]
    assert deleting and creating and max(creating) < min(deleting)
    assert [o.key for o in reported] == [c.key for c in plan.changes]


class LosingLock:
    """A writers' lock lost after `keep` mutating calls passed its check."""

    name = "test lock"

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.passed = 0
        self.guard = threading.Lock()

    def check(self) -> None:
        with self.guard:
            if self.passed >= self.keep:
                raise LockLostError("the test lock was lost", lock=self.name)
            self.passed += 1


@pytest.mark.parametrize("keep", [1, 5])
def test_a_writer_that_lost_its_lock_sends_nothing_more(aws: Any, tmp_path: Path, keep: int) -> None:
    m = [str(write(tmp_path / "m", services=10, clusters=1))]
    wire = Wire().install(aws)
    install_fencing([aws.clients.ecs, aws.clients.ecr], LosingLock(keep))
    manifests = loader.load(m)
    plan, live = pipeline.plan(manifests, aws, pipeline.PlanOptions(owner=OWNER))
    with pytest.raises(LockLostError):
        pipeline.apply(plan, live, manifests, aws, OWNER, poll_seconds=0.05)
    assert len(wire.sent) == keep  # every later write was stopped before it was sent, in every thread
