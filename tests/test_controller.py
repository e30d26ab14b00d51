"""The GitOps controller: passes at start, on change, on resync; drift corrected and counted; bad input
changes nothing; suspend; backoff; git mode; the HTTP endpoint; SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from reconciler import pipeline
from reconciler.controller.http import ControllerState, serve
from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.metrics import Metrics
from reconciler.controller.sources import DirectorySource, GitSource

from .conftest import MANIFESTS

OPTIONS = pipeline.PlanOptions()


def settings(**overrides: Any) -> WatchSettings:
    return WatchSettings(options=overrides.pop("options", OPTIONS), requeue=0.05, poll_seconds=0.05,
                         rollout_timeout=30, **overrides)


def examples(tmp_path: Path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def wait_for(condition: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def settle(controller: Controller) -> None:
    """Follow the rollouts started by the last pass to their end, as the loop does between passes."""
    def done() -> bool:
        controller._poll_rollouts()
        return not controller.watcher.pending

    wait_for(done)


def metric(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


def test_first_pass_applies_everything(aws: Any, tmp_path: Path) -> None:
    """At start the controller applies the manifests and becomes ready."""
    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings())
    summary = controller.reconcile_once("start")
    assert summary["result"] == "success" and summary["applied"] == 5
    # What the pass cost, by operation (shown in /status and on the controller's page).
    assert summary["awsCallsByOperation"]["ecs.RegisterTaskDefinition"] == 1
    assert summary["awsCalls"] == sum(summary["awsCallsByOperation"].values()) <= summary["awsAttempts"]
    assert controller.state.ready and metric(controller.metrics, "reconciler_passes_total", result="success") == 1
    assert {r["sync"] for r in controller.state.resources} == {"in-sync"}


def test_drift_is_corrected_on_resync_and_counted(aws: Any, tmp_path: Path) -> None:
    """Someone scales the service behind git's back: corrected and counted. While the service's first
    rollout is still followed the change waits, and a pass follows as soon as that rollout settles."""
    from reconciler.sandbox import set_pace

    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings())
    set_pace(1.0)  # slow ECS: the first rollout is surely still in flight at the next pass
    controller.reconcile_once("start")
    aws.clients.ecs.update_service(cluster="demo", service="web", desiredCount=5)
    summary = controller.reconcile_once("resync")
    assert summary["planned"] == 1 and summary["applied"] == 0  # its first rollout is still being followed
    set_pace(0.02)  # (the aws fixture restores the pace afterwards)
    settle(controller)
    assert controller.requeue_pass  # the rollout we held a change for settled: pass again, not at next resync
    assert controller.reconcile_once("requeue")["applied"] == 1
    assert aws.ecs.describe_services("demo", ["web"])["web"]["desiredCount"] == 2
    assert metric(controller.metrics, "reconciler_drift_corrections_total") == 1


def test_malformed_edit_changes_nothing_until_fixed(aws: Any, tmp_path: Path) -> None:
    """A broken manifest: the pass fails with file:line, no mutating call; fixing it resumes."""
    m = examples(tmp_path)
    controller = Controller(DirectorySource([str(m)]), aws, settings())
    controller.reconcile_once("start")
    settle(controller)
    good = (m / "web-service.yaml").read_text()
    (m / "web-service.yaml").write_text(good.replace("desiredCount: 2", "desiredCount: 3\n   bad: x"))
    aws.clients.mutations.calls.clear()
    summary = controller.reconcile_once("change")
    assert summary["result"] == "error" and "web-service.yaml:12:7" in summary["errors"][0]
    assert aws.clients.mutations.calls == []
    assert metric(controller.metrics, "reconciler_errors_total", stage="load") == 1
    (m / "web-service.yaml").write_text(good.replace("desiredCount: 2", "desiredCount: 3"))
    assert controller.reconcile_once("change")["applied"] == 1


def test_suspend_reports_drift_and_changes_nothing(aws: Any, tmp_path: Path) -> None:
    """--suspend: the plan is made and reported, no mutating call; the annotation suspends one resource."""
    m = examples(tmp_path)
    controller = Controller(DirectorySource([str(m)]), aws, settings(suspend=True))
    summary = controller.reconcile_once("start")
    assert summary["planned"] == 5 and summary["applied"] == 0 and aws.clients.mutations.calls == []
    assert {r["sync"] for r in controller.state.resources} == {"missing", "out-of-sync"}
    edit(m / "cluster.yaml", "  name: demo\n", '  name: demo\n  annotations:\n    reconciler.io/suspend: "true"\n')
    one = Controller(DirectorySource([str(m)]), aws, settings())
    summary = one.reconcile_once("start")
    assert summary["applied"] == 2  # repository and task definition; the rest waits for the suspended cluster
    assert aws.ecs.describe_clusters(["demo"]) == {}


def test_failures_back_off_per_resource(aws: Any, tmp_path: Path) -> None:
    """A service that fails to create is backed off (held) on the next pass; the others are fine."""
    m = examples(tmp_path)
    edit(m / "web-service.yaml", "subnet-0a0a0a0a0a0a0a0a1", "subnet-00000000000000bad")
    controller = Controller(DirectorySource([str(m)]), aws, settings())
    first = controller.reconcile_once("start")
    assert first["failed"] == 1 and controller.backoff.waiting(next(iter(controller.backoff.until))) > 0
    aws.clients.mutations.calls.clear()
    controller.reconcile_once("change")
    assert "ecs.CreateService" not in aws.clients.mutations.calls  # still backing off
    edit(m / "web-service.yaml", "subnet-00000000000000bad", "subnet-0a0a0a0a0a0a0a0a1")
    controller.backoff.until = {k: 0.0 for k in controller.backoff.until}  # time passes
    assert controller.reconcile_once("backoff")["applied"] == 1
    assert not controller.backoff.failures


def test_a_change_triggers_one_pass_that_rolls_out(aws: Any, tmp_path: Path) -> None:
    """run(): editing the image (several writes) gives one pass, and the rollout is followed to the end."""
    m = examples(tmp_path)
    source = DirectorySource([str(m)], debounce_ms=300)
    controller = Controller(source, aws, settings(resync=3600))
    thread = threading.Thread(target=controller.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: controller.state.ready and not controller.watcher.pending)
        passes = controller.passes
        edit(m / "web-taskdef.yaml", "IMAGE_TAG:-1.0.0", "IMAGE_TAG:-1.1.0")
        edit(m / "web-taskdef.yaml", "value: info", "value: debug")
        wait_for(lambda: controller.passes == passes + 1 and not controller.watcher.pending)
        time.sleep(0.5)
        assert controller.passes == passes + 1
        service = aws.ecs.describe_services("demo", ["web"])["web"]
        assert service["taskDefinition"].endswith("web:2") and len(service["deployments"]) == 1
    finally:
        controller.stop.set()
        controller.wake.set()
        thread.join(10)
    assert not thread.is_alive()


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_git_mode_follows_commits_once_each_and_notices_rewrites(aws: Any, tmp_path: Path) -> None:
    """A local bare repository: each new commit is one pass, recorded in tags; a force-push is logged."""
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    shutil.copytree(MANIFESTS, work / "ecs")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "first")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    first = git(work, "rev-parse", "HEAD")
    source = GitSource(str(bare), "main", "ecs", str(tmp_path / "clone"), interval=60)
    controller = Controller(source, aws, settings())
    assert controller.reconcile_once("start")["applied"] == 5
    wait_for(lambda: aws.ecs.describe_services("demo", ["web"])["web"]["runningCount"] == 2)
    assert controller.state.revision == first
    tags = aws.ecs.describe_clusters(["demo"])["demo"]["tags"]
    assert {"key": "reconciler:git-commit", "value": first} in tags
    assert controller.reconcile_once("resync")["planned"] == 0
    edit(work / "ecs" / "web-service.yaml", "desiredCount: 2", "desiredCount: 3")
    git(work, "commit", "--quiet", "-am", "scale")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    assert controller.reconcile_once("change")["applied"] == 1
    wait_for(lambda: aws.ecs.describe_services("demo", ["web"])["web"]["runningCount"] == 3)
    git(work, "reset", "--quiet", "--hard", first)
    git(work, "push", "--quiet", "--force", "origin", "HEAD:main")
    with capture_logs() as logs:
        controller.reconcile_once("change")
    assert any(e["event"].startswith("Branch history was rewritten") for e in logs)
    assert controller.state.revision == first
    assert aws.ecs.describe_services("demo", ["web"])["web"]["desiredCount"] == 2


def test_http_endpoints() -> None:
    """/healthz, /readyz (503 until the first pass), /metrics (Prometheus), /status (JSON)."""
    state, metrics = ControllerState(), Metrics()
    server = serve(state, metrics, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert urllib.request.urlopen(base + "/healthz").read() == b"ok\n"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/readyz")
        assert info.value.code == 503
        state.ready = True
        metrics.passes.labels(result="success").inc()
        assert urllib.request.urlopen(base + "/readyz").status == 200
        assert b'reconciler_passes_total{result="success"} 1.0' in urllib.request.urlopen(base + "/metrics").read()
        assert json.loads(urllib.request.urlopen(base + "/status").read())["ready"] is True
    finally:
        server.shutdown()


def test_sigterm_stops_the_watcher_cleanly(tmp_path: Path) -> None:
    """`reconciler watch --sandbox`: ready after the first pass; SIGTERM exits 0 and releases the lock."""
    m = examples(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(RECONCILER_SANDBOX_STEP_SECONDS="0.05", NO_COLOR="1", TMPDIR=str(tmp_path))
    cli = str(Path(sys.executable).parent / "reconciler")
    proc = subprocess.Popen([cli, "watch", str(m), "--sandbox", "--listen", "127.0.0.1:0", "--resync", "1h",
                             "--log-format", "json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        events: list[dict[str, Any]] = []
        assert proc.stderr is not None
        stderr = proc.stderr
        reader = threading.Thread(target=lambda: events.extend(json.loads(line) for line in stderr), daemon=True)
        reader.start()
        wait_for(lambda: any(e["event"] == "Pass done" for e in events), 60)
        url = next(e["url"] for e in events if e["event"] == "Serving")
        assert urllib.request.urlopen(url + "/readyz").status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        reader.join(5)
        assert [e["event"] for e in events][-1] == "Stopped"
        assert any(e["event"].startswith("Stopping") and e["signal"] == "SIGTERM" for e in events)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_expired_backoff_does_not_spin_the_loop() -> None:
    """Once a backed-off resource's wait is over and a pass started, nothing is due any more (the loop
    ran passes back to back when an expired entry stayed "due now" forever)."""
    from reconciler.controller.backoff import Backoff

    now = [100.0]
    backoff = Backoff(clock=lambda: now[0], rand=lambda: 0.5)
    assert backoff.failure("svc") == 5.0
    assert backoff.next_due() == 5.0
    now[0] += 6
    assert backoff.next_due() is None  # nothing to wait for
    backoff.expire()
    assert backoff.waiting("svc") == 0 and backoff.failure("svc") == 10.0  # the count stays: it doubles
