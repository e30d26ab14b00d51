"""/healthz during a long pass: the loop beats between passes, and inside a pass (an instance roll, a one-off
task, a drain) every AWS call attempt is progress; only a loop that does neither for `stale_after` is stalled.
An instance roll inside a pass shows on the group's row, as apply's progress line says it."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.instance_roll import RollReporter, RollStatus
from reconciler.controller.http import ControllerState, serve
from reconciler.controller.live_rollouts import LiveRollouts
from reconciler.controller.loop import Controller
from reconciler.controller.metrics import Metrics
from reconciler.controller.sources import DirectorySource

from .test_controller import examples, settings


def healthz(base: str) -> int:
    try:
        return int(urllib.request.urlopen(base + "/healthz").status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_pass_calling_aws_is_alive_and_a_silent_loop_is_stalled() -> None:
    last_attempt = [0.0]
    state = ControllerState(stale_after=600.0)
    state.last_aws_attempt = lambda: last_attempt[0]
    server = serve(state, Metrics(), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert healthz(base) == 200
        state.heartbeat = time.monotonic() - 3600  # the loop inside one pass for an hour...
        assert healthz(base) == 503
        last_attempt[0] = time.monotonic()  # ...that polls AWS (an instance roll waiting for a drain)
        assert healthz(base) == 200
    finally:
        server.shutdown()


def test_the_controller_counts_its_aws_calls_as_progress(aws: Any, tmp_path: Path) -> None:
    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings())
    assert controller.state.last_aws_attempt() == 0.0
    before = time.monotonic()
    controller.reconcile_once("start")
    assert controller.state.last_aws_attempt() >= before
    assert controller.state.last_aws_attempt() == aws.clients.calls.last_attempt


@pytest.mark.parametrize(("phase", "health"), [("draining", "progressing"), ("done", "healthy"),
                                               ("failed", "degraded")])
def test_an_instance_roll_in_a_pass_shows_on_its_group_row(phase: str, health: str) -> None:
    state = ControllerState()
    state.resources = [{"kind": "AutoScalingGroup", "name": "chapter-ecs", "sync": "out-of-sync",
                        "health": "healthy"},
                       {"kind": "Cluster", "name": "chapter", "sync": "in-sync", "health": "healthy"}]
    live = LiveRollouts(state)
    assert isinstance(live, RollReporter)  # (apply hands the roll the controller's reporter)
    live.instances(RollStatus("chapter-ecs", old=1, new=2, ready=2, draining=1, tasks_to_move=2, phase=phase))
    group, cluster = state.resources
    assert group["health"] == health
    assert group["detail"] == f"instances: 1 old, 2 new (2 registered), 1 draining, 2 task(s) to move ({phase})"
    assert cluster == {"kind": "Cluster", "name": "chapter", "sync": "in-sync", "health": "healthy"}
