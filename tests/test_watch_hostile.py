"""The controller against hostile commits: a commit that carries a link to /dev/zero, a link out of the
repository, a FIFO in a watched directory or an alias bomb is reported as a failed pass (in the log and in
/status), changes nothing in AWS, leaves /healthz at 200, and the next good commit is applied."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from reconciler.controller.http import ControllerState, serve
from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.metrics import Metrics
from reconciler.controller.sources import DirectorySource, GitSource
from reconciler.pipeline import PlanOptions

from .conftest import MANIFESTS


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def wait_for(condition: Any, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def settings() -> WatchSettings:
    return WatchSettings(options=PlanOptions(), requeue=0.05, poll_seconds=0.05, rollout_timeout=30, resync=3600)


def repository(tmp_path: Path) -> tuple[Path, Path]:
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    shutil.copytree(MANIFESTS, work / "ecs")
    commit(work, "first")
    return bare, work


def commit(work: Path, message: str) -> str:
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)
    git(work, "push", "--quiet", "origin", "HEAD:main")
    return git(work, "rev-parse", "HEAD")


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


HOSTILE: list[tuple[str, Any, str]] = [
    ("a link to /dev/zero", lambda d: (d / "x.yaml").symlink_to("/dev/zero"),
     "symlink points outside the manifest directory (to /dev/zero)"),
    ("a link out of the repository", lambda d: (d / "x.yaml").symlink_to("../../../work/ecs/cluster.yaml"),
     "work/ecs/cluster.yaml); only links that stay inside it are followed"),
    ("an alias bomb", lambda d: (d / "x.yaml").write_text(
        "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
                                                 for p, n in zip("abcdefg", "bcdefgh", strict=True))),
     "expands to more than 200000 values"),
    ("a Python tag", lambda d: (d / "x.yaml").write_text("a: !!python/object/apply:os.system [id]\n"),
     "unknown YAML tag '!!python/object/apply:os.system'"),
]


def test_hostile_commits_change_nothing(aws: Any, tmp_path: Path) -> None:
    """Each hostile commit: the pass fails at loading, naming the file, and no mutating AWS call is made."""
    bare, work = repository(tmp_path)
    controller = Controller(GitSource(str(bare), "main", "ecs", str(tmp_path / "clone"), interval=60), aws,
                            settings())
    assert controller.reconcile_once("start")["result"] == "success"
    for what, make, message in HOSTILE:
        (work / "ecs" / "x.yaml").unlink(missing_ok=True)
        make(work / "ecs")
        commit(work, what)
        aws.clients.mutations.calls.clear()
        summary = controller.reconcile_once("change")
        assert summary["result"] == "error" and summary["stage"] == "load", what
        assert "ecs/x.yaml" in summary["errors"][0] and message in summary["errors"][0], what
        assert aws.clients.mutations.calls == [], what


def test_the_watcher_survives_hostile_commits_and_applies_the_next_good_one(aws: Any, tmp_path: Path) -> None:
    """`run()` with git polling and the HTTP endpoint: each hostile commit shows in /status as a failed
    pass at that revision, /healthz stays 200, and the following good commit is applied."""
    bare, work = repository(tmp_path)
    state, metrics = ControllerState(), Metrics()
    server = serve(state, metrics, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    source = GitSource(str(bare), "main", "ecs", str(tmp_path / "clone"), interval=0.2)
    controller = Controller(source, aws, settings(), metrics, state)
    thread = threading.Thread(target=controller.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: state.ready and state.last_pass.get("result") == "success")
        for what, make, message in HOSTILE:
            (work / "ecs" / "x.yaml").unlink(missing_ok=True)
            make(work / "ecs")
            bad = commit(work, what)
            wait_for(lambda bad=bad, message=message: state.revision == bad
                     and message in " ".join(state.last_pass.get("errors") or []))
            assert state.last_pass["stage"] == "load" and message in state.last_pass["errors"][0], what
            assert get(base + "/healthz") == (200, b"ok\n"), what
            status = json.loads(get(base + "/status")[1])
            assert status["revision"] == bad and message in status["lastPass"]["errors"][0], what
            assert thread.is_alive()
        (work / "ecs" / "x.yaml").unlink()
        edit = work / "ecs" / "web-service.yaml"
        edit.write_text(edit.read_text().replace("desiredCount: 2", "desiredCount: 3"))
        good = commit(work, "fixed, and scaled")
        wait_for(lambda: state.revision == good and state.last_pass.get("result") == "success")
        assert aws.ecs.describe_services("demo", ["web"])["web"]["desiredCount"] == 3
    finally:
        controller.stop.set()
        controller.wake.set()
        thread.join(30)
        server.shutdown()
    assert not thread.is_alive()


def test_a_commit_that_makes_the_manifest_directory_a_link_out_is_refused(aws: Any, tmp_path: Path) -> None:
    bare, work = repository(tmp_path)
    controller = Controller(GitSource(str(bare), "main", "ecs", str(tmp_path / "clone"), interval=60), aws,
                            settings())
    assert controller.reconcile_once("start")["result"] == "success"
    shutil.rmtree(work / "ecs")
    (work / "ecs").symlink_to("/etc")
    commit(work, "ecs is /etc now")
    aws.clients.mutations.calls.clear()
    summary = controller.reconcile_once("change")
    assert summary["result"] == "error" and "leads outside the repository" in summary["errors"][0]
    assert aws.clients.mutations.calls == []


def test_a_fifo_in_a_watched_directory_does_not_block_the_pass(aws: Any, tmp_path: Path) -> None:
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    controller = Controller(DirectorySource([str(target)]), aws, settings())
    assert controller.reconcile_once("start")["result"] == "success"
    os.mkfifo(target / "x.yaml")
    aws.clients.mutations.calls.clear()
    summary = controller.reconcile_once("change")  # returns: the FIFO is never opened for a blocking read
    assert summary["result"] == "error" and "x.yaml: not a regular file (a FIFO" in summary["errors"][0]
    assert aws.clients.mutations.calls == []
    (target / "x.yaml").unlink()
    assert controller.reconcile_once("change")["result"] == "success"
