"""ECS deletes a capacity provider over a while (ACTIVE with updateStatus DELETE_IN_PROGRESS, then INACTIVE), and may
fail to (DELETE_FAILED with a reason). A DeleteCapacityProvider whose response was lost is resent and refused while
the deletion is under way: that is done, not a failure. A deletion ECS reports failed fails the prune with ECS's
reason at once, not after a timeout. (Faults below botocore's retry layer.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.httpsession import URLLib3Session

from ..capacity.helpers import apply, chapter, plan_of
from .faults import LoseResponse, _Raw, operation_of

REASON = "The capacity provider could not be deleted because of an internal error (injected)."


class ReportDeleteFailed:
    """Once DeleteCapacityProvider was sent, DescribeCapacityProviders reports the provider DELETE_FAILED."""

    def __init__(self) -> None:
        self.http = URLLib3Session()
        self.deleting = False

    def install(self, client: Any) -> ReportDeleteFailed:
        client.meta.events.register_first("before-send", self)
        return self

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        operation = operation_of(request)
        if operation == "DeleteCapacityProvider":
            self.deleting = True
        if operation != "DescribeCapacityProviders" or not self.deleting:
            return None
        real = self.http.send(request)
        body = json.loads(real.content)
        for provider in body.get("capacityProviders", []):
            provider.update(status="ACTIVE", updateStatus="DELETE_FAILED", updateStatusReason=REASON)
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"},
                           _Raw(json.dumps(body).encode()))


def empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty"
    path.mkdir()
    return path


def test_a_lost_delete_response_is_done_while_ecs_deletes(conn: Any, observer: Any, tmp_path: Path) -> None:
    path = chapter(tmp_path, conn)
    _, made = apply(conn, path)
    assert made.ok
    lost = LoseResponse("DeleteCapacityProvider").install(conn.clients.ecs)
    nothing = empty(tmp_path)
    _, result = apply(conn, nothing, prune=True)
    assert result.ok, [(str(o.key), o.message) for o in result.outcomes if o.status != "applied"]
    assert lost.sent == 2  # (the resend was refused: "already being deleted")
    assert "chapter-ec2" not in [p["name"] for p in observer.ecs.all_capacity_providers()]
    assert observer.autoscaling.describe_group("chapter-ecs") is None
    assert not plan_of(observer, nothing, prune=True).has_changes


def test_a_deletion_ecs_reports_failed_fails_the_prune_with_its_reason(conn: Any, observer: Any,
                                                                       tmp_path: Path) -> None:
    path = chapter(tmp_path, conn)
    _, made = apply(conn, path)
    assert made.ok
    ReportDeleteFailed().install(conn.clients.ecs)
    _, result = apply(conn, empty(tmp_path), prune=True, timeout=30)
    failed = {str(o.key): o.message for o in result.outcomes if o.status == "failed"}
    assert list(failed) == ["CapacityProvider/chapter-ec2"]
    message = failed["CapacityProvider/chapter-ec2"]
    assert REASON in message and "DELETE_FAILED" in message
    assert observer.autoscaling.describe_group("chapter-ecs") is not None  # (what came after was not attempted)
