"""Notifications: one event per state change and none on a no-op resync (against a local webhook receiver);
deliveries retry with backoff, give up on a refusal, never hold up a pass, and are counted; AWS out of reach
and back; GitHub commit statuses per commit; the Slack format."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from reconciler.controller.loop import Controller
from reconciler.controller.metrics import Metrics
from reconciler.controller.notify import Notifier, _retry_after
from reconciler.controller.sinks import (
    GitHubStatusSink,
    WebhookSink,
    github_repo_from_git,
    safe_target,
    slack_message,
)
from reconciler.controller.sources import DirectorySource, GitSource
from reconciler.controller.transitions import Transitions, unreachable
from reconciler.errors import AwsError

from .conftest import MANIFESTS
from .receiver import Receiver
from .test_controller import edit, examples, metric, settings, settle, wait_for


def without_migration(tmp_path: Path) -> Path:
    m = examples(tmp_path)
    (m / "migrate-task.yaml").unlink()  # (a crashing image would fail the migration before the rollout)
    return m


def test_one_event_per_state_change_and_none_on_a_noop_resync(aws: Any, tmp_path: Path) -> None:
    """Create, a no-op resync, drift corrected, a crashing revision rolled back, then held; each once."""
    receiver, metrics = Receiver(), Metrics()
    notifier = Notifier([WebhookSink(receiver.url + "/hooks/abc")], metrics, base_delay=0.01)
    m = without_migration(tmp_path)
    controller = Controller(DirectorySource([str(m)]), aws, settings(), metrics=metrics, notifier=notifier)
    try:
        controller.reconcile_once("start")
        settle(controller)
        assert receiver.wait_for(2)[0]["details"]["resources"] == ["Repository/web", "Cluster/demo",
                                                                   "TaskDefinition/web", "Service/demo/web"]
        assert receiver.types() == ["sync.applied", "rollout.completed"]
        assert controller.reconcile_once("resync")["planned"] == 0  # nothing to say
        aws.clients.ecs.update_service(cluster="demo", service="web", desiredCount=4)  # by hand
        assert controller.reconcile_once("resync")["driftCorrected"]
        settle(controller)
        controller.reconcile_once("resync")
        edit(m / "web-taskdef.yaml", "IMAGE_TAG:-1.0.0", "IMAGE_TAG:-2.0-crash")
        controller.reconcile_once("change")
        settle(controller)
        controller.reconcile_once("resync")  # the service is held at the revision that ran well
        controller.reconcile_once("resync")
        controller.reconcile_once("resync")
    finally:
        notifier.close(30)
        receiver.close()
    assert receiver.types() == ["sync.applied", "rollout.completed", "drift.corrected", "rollout.completed",
                                "sync.applied", "rollout.rolledBack", "resource.held"]
    events = receiver.bodies()
    drift = events[2]
    assert drift["details"]["resources"] == ["Service/demo/web"] and drift["details"]["trigger"] == "resync"
    failed = events[5]
    assert failed["resource"] == "Service/demo/web" and failed["severity"] == "error"
    assert "exit code 1" in failed["message"] and "CannotStartContainerError" in failed["message"]
    assert "rolled back to web:1" in failed["message"]
    assert events[6]["message"] == "last rollout of web:2 failed"
    assert events[6]["details"]["failure"] == failed["message"]  # why, with the stopped tasks' reasons
    assert all(e["source"] == str(m) and e["time"].endswith("Z") for e in events)
    assert metric(metrics, "reconciler_notifications_total", sink="webhook", result="delivered") == 7
    assert {r.path for r in receiver.received} == {"/hooks/abc"}
    # The page's activity holds the same events (and the service events seen while rolling out).
    assert [e["type"] for e in controller.state.activity if e["type"] != "service.event"][::-1] == receiver.types()


def test_deliveries_retry_with_backoff_then_succeed_or_give_up() -> None:
    """503, 503, then 200: delivered once after two retries. A 400 is not retried: failed at once."""
    receiver, metrics = Receiver(answers=[503, 503]), Metrics()
    notifier = Notifier([WebhookSink(receiver.url)], metrics, base_delay=0.01)
    try:
        notifier.event({"type": "sync.applied", "title": "Applied 1 change"})
        receiver.wait_for(1)
        assert receiver.attempts == 3
        assert metric(metrics, "reconciler_notifications_total", sink="webhook", result="retried") == 2
        receiver.answers = [400]
        notifier.event({"type": "sync.applied", "title": "refused"})
        notifier.event({"type": "sync.applied", "title": "then fine"})
        receiver.wait_for(2)
    finally:
        notifier.close(10)
        receiver.close()
    assert receiver.attempts == 5 and [b["title"] for b in receiver.bodies()] == ["Applied 1 change", "then fine"]
    assert metric(metrics, "reconciler_notifications_total", sink="webhook", result="failed") == 1
    assert metric(metrics, "reconciler_notifications_total", sink="webhook", result="delivered") == 2


def test_a_hanging_receiver_never_holds_up_a_pass(aws: Any, tmp_path: Path) -> None:
    """The receiver does not answer: passes go on, the bounded queue drops (and counts) what does not fit,
    and what was queued is delivered once the receiver answers again."""
    receiver, metrics = Receiver(), Metrics()
    receiver.open.clear()
    notifier = Notifier([WebhookSink(receiver.url)], metrics, base_delay=0.01, queue_size=1)
    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings(), metrics=metrics,
                            notifier=notifier)
    try:
        assert controller.reconcile_once("start")["applied"] == 5
        wait_for(lambda: receiver.arrived == 1)  # sync.applied: the delivery thread waits for an answer
        settle(controller)  # rollout.completed waits in the queue
        for n in range(3):
            notifier.event({"type": "test", "title": f"extra {n}"})  # the queue is full: dropped at once
        assert controller.reconcile_once("resync")["result"] == "success"
        assert metric(metrics, "reconciler_notifications_total", sink="webhook", result="dropped") == 3
        receiver.open.set()
        receiver.wait_for(2)
    finally:
        notifier.close(10)
        receiver.close()
    assert receiver.types() == ["sync.applied", "rollout.completed"]


def expired_token(request: Any, **_: Any) -> AWSResponse:
    class Raw:
        def stream(self, **_: Any) -> Any:
            yield (b'{"__type": "ExpiredTokenException", '
                   b'"message": "The security token included in the request is expired"}')

    return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, Raw())


def test_aws_out_of_reach_is_announced_once_and_so_is_its_return(aws: Any, tmp_path: Path) -> None:
    """AWS answers every request with ExpiredTokenException (below botocore's retries): one aws.unreachable,
    however many passes fail so; the first pass that reaches AWS again says so."""
    receiver, metrics = Receiver(), Metrics()
    notifier = Notifier([WebhookSink(receiver.url)], metrics, base_delay=0.01)
    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings(), metrics=metrics,
                            notifier=notifier)
    clients = (aws.clients.ecs, aws.clients.ecr)
    try:
        controller.reconcile_once("start")
        settle(controller)
        for client in clients:
            client.meta.events.register_first("before-send", expired_token)
        for _ in range(3):
            summary = controller.reconcile_once("resync")
            assert summary["result"] == "error" and summary["awsReachable"] is False
        for client in clients:
            client.meta.events.unregister("before-send", expired_token)
        controller.reconcile_once("resync")
        controller.reconcile_once("resync")
    finally:
        notifier.close(10)
        receiver.close()
    assert receiver.types() == ["sync.applied", "rollout.completed", "aws.unreachable", "aws.recovered"]
    assert "ExpiredTokenException" in receiver.bodies()[2]["message"]
    assert controller.state.last_pass["awsReachable"] is True


def test_connection_failures_count_as_out_of_reach() -> None:
    """What botocore raises when the network is the problem is `aws.unreachable`; an AWS refusal is not."""
    assert unreachable(AwsError("DescribeServices", "EndpointConnectionError", "Could not connect"))
    assert unreachable(AwsError("DescribeServices", "ConnectTimeoutError", "Connect timeout"))
    assert not unreachable(AwsError("DescribeServices", "AccessDeniedException", "not allowed"))
    t = Transitions("src")
    down = t.after_pass({"result": "error", "errors": ["x"], "awsUnreachable": "EndpointConnectionError"}, [],
                        revision=None, corrected=False)
    assert [e["type"] for e in down] == ["aws.unreachable"]
    assert t.after_pass({"result": "error", "errors": ["x"], "awsUnreachable": "again"}, [], revision=None,
                        corrected=False) == []


def test_a_failing_apply_is_one_event_until_it_works(aws: Any, tmp_path: Path) -> None:
    """A service that cannot be created: sync.failed once, through the backoff's retries; sync.recovered once
    it is fixed."""
    receiver, metrics = Receiver(), Metrics()
    notifier = Notifier([WebhookSink(receiver.url)], metrics, base_delay=0.01)
    m = examples(tmp_path)
    edit(m / "web-service.yaml", "subnet-0a0a0a0a0a0a0a0a1", "subnet-00000000000000bad")
    controller = Controller(DirectorySource([str(m)]), aws, settings(), metrics=metrics, notifier=notifier)
    try:
        assert controller.reconcile_once("start")["failed"] == 1
        controller.reconcile_once("backoff")  # held back by the backoff: still failing, nothing new
        controller.backoff.until = {k: 0.0 for k in controller.backoff.until}
        assert controller.reconcile_once("backoff")["failed"] == 1  # the retry fails the same way
        edit(m / "web-service.yaml", "subnet-00000000000000bad", "subnet-0a0a0a0a0a0a0a0a1")
        controller.backoff.until = {k: 0.0 for k in controller.backoff.until}
        assert controller.reconcile_once("change")["applied"] == 1
        settle(controller)
    finally:
        notifier.close(10)
        receiver.close()
    assert receiver.types() == ["sync.applied", "sync.failed", "sync.applied", "sync.recovered",
                                "rollout.completed"]
    failed = receiver.bodies()[1]
    assert failed["message"].startswith("Service/demo/web: CreateService: InvalidParameterException")
    [row] = [r for r in controller.state.resources if r["kind"] == "Service"]
    assert "failure" not in row  # it works now


def test_a_failing_resource_that_leaves_git_is_no_longer_failing(aws: Any, tmp_path: Path) -> None:
    receiver, metrics = Receiver(), Metrics()
    notifier = Notifier([WebhookSink(receiver.url)], metrics, base_delay=0.01)
    m = examples(tmp_path)
    edit(m / "web-service.yaml", "subnet-0a0a0a0a0a0a0a0a1", "subnet-00000000000000bad")
    controller = Controller(DirectorySource([str(m)]), aws, settings(), metrics=metrics, notifier=notifier)
    try:
        assert controller.reconcile_once("start")["failed"] == 1
        (m / "web-service.yaml").unlink()
        (m / "migrate-task.yaml").unlink()  # (it runs before web)
        assert controller.reconcile_once("change")["result"] == "success"
        controller.reconcile_once("resync")
    finally:
        notifier.close(10)
        receiver.close()
    assert receiver.types() == ["sync.applied", "sync.failed", "sync.recovered"]
    assert not controller.failures and not controller.apply_failed


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_github_commit_status_follows_each_commit(aws: Any, tmp_path: Path) -> None:
    """pending while the commit rolls out, then success; a commit whose rollout fails: failure. A resync
    posts nothing. The token goes in the Authorization header only."""
    github, metrics = Receiver(), Metrics()
    token = "ghp_" + "x" * 36
    sink = GitHubStatusSink(github.url + "/api/v3", "acme/ops", token, "reconciler", "https://ctl.example/")
    notifier = Notifier([sink], metrics, base_delay=0.01)
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    shutil.copytree(MANIFESTS, work / "ecs")
    (work / "ecs" / "migrate-task.yaml").unlink()
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "first")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    first = git(work, "rev-parse", "HEAD")
    source = GitSource(str(bare), "main", "ecs", str(tmp_path / "clone"), interval=60)
    controller = Controller(source, aws, settings(), metrics=metrics, notifier=notifier)
    try:
        controller.reconcile_once("start")
        settle(controller)
        controller.reconcile_once("resync")
        edit(work / "ecs" / "web-taskdef.yaml", "IMAGE_TAG:-1.0.0", "IMAGE_TAG:-2.0-crash")
        git(work, "commit", "--quiet", "-am", "crash")
        git(work, "push", "--quiet", "origin", "HEAD:main")
        second = git(work, "rev-parse", "HEAD")
        controller.reconcile_once("change")
        settle(controller)
        controller.reconcile_once("resync")
        github.wait_for(4)
    finally:
        notifier.close(10)
        github.close()
    posted = [(r.path.rsplit("/", 1)[-1], r.body["state"]) for r in github.received]
    assert posted == [(first, "pending"), (first, "success"), (second, "pending"), (second, "failure")]
    request = github.received[0]
    assert request.path == f"/api/v3/repos/acme/ops/statuses/{first}"
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.body["context"] == "reconciler" and request.body["target_url"] == "https://ctl.example/"
    failure = github.received[3].body["description"]
    assert len(failure) <= 140 and failure.startswith("rollout of web:2 failed")
    assert all(token not in json.dumps(r.body) for r in github.received)
    assert token not in repr(sink)


def test_slack_format_escapes_what_slack_would_read_as_markup() -> None:
    event = {"type": "rollout.failed", "severity": "error", "title": "The rollout failed",
             "resource": "Service/demo/web", "message": "exit code 1 <!channel> & <https://x|y>",
             "commit": "0123456789abcdef0123", "source": "https://git.example/ops.git#main"}
    message = slack_message(event, "https://ctl.example/")
    assert set(message) == {"text", "blocks"}
    section = message["blocks"][0]["text"]["text"]
    assert section.startswith(":x: *The rollout failed · Service/demo/web*\n")
    assert "&lt;!channel&gt; &amp; &lt;https://x|y&gt;" in section and "<!channel>" not in json.dumps(message)
    context = message["blocks"][1]["elements"][0]["text"]
    assert "commit `0123456789ab`" in context and "<https://ctl.example/|controller page>" in context


def test_destinations_are_logged_without_their_secret_part() -> None:
    assert safe_target("https://hooks.slack.com/services/T0/B0/SECRET") == "https://hooks.slack.com/…"
    assert safe_target("https://user:pw@hooks.example:8443/?token=abc") == "https://hooks.example:8443/…"
    assert github_repo_from_git("https://github.com/acme/ops.git") == ("https://api.github.com", "acme/ops")
    assert github_repo_from_git("git@github.com:acme/ops.git") == ("https://api.github.com", "acme/ops")
    assert github_repo_from_git("https://git.acme.io/platform/ops") == ("https://git.acme.io/api/v3", "platform/ops")
    assert github_repo_from_git("/srv/git/ops.git") is None


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert _retry_after("3") == 3.0 and _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
