"""Notifications through the real CLI: `reconciler watch --git ... --github-status --notify-format slack`
against a `reconciler sandbox` process, with local receivers standing in for Slack and GitHub's API; the
token and the webhook's secret path never show in the log. Bad notification flags are clear errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from .conftest import MANIFESTS
from .receiver import Receiver
from .sandbox_process import CLI, sandbox_process

pytestmark = pytest.mark.server
TOKEN = "ghp_" + "T0k3n" * 7 + "x"
SLACK_PATH = "/services/T00000000/B00000000/XXXXsecretXXXXsecretXXXX"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--github-status"], {}, "error: --github-status needs --git: commit statuses are set on the commits it applies"),
    (["--git", "https://github.com/acme/ops.git", "--github-status"], {},
     "error: --github-status needs a GitHub token in $GITHUB_TOKEN"),
    (["--git", "/srv/ops.git", "--github-status"], {"GITHUB_TOKEN": TOKEN},
     "error: --github-status: name the repository with --github-repo OWNER/REPO"),
    (["--notify", "ftp://hooks.example/x"], {},
     "error: --notify expects an http:// or https:// URL, got ftp://hooks.example/…"),
    (["--notify", "hooks.example/secret"], {},
     "error: --notify expects an http:// or https:// URL, got an invalid one"),
    (["--github-repo", "acme/ops"], {}, "error: --github-repo and --github-api go with --github-status"),
])
def test_bad_notification_flags_are_clear_errors(tmp_path: Path, args: list[str], env: dict[str, str],
                                                 message: str) -> None:
    paths = [] if "--git" in args else [str(MANIFESTS)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_", "RECONCILER_"))}
    result = subprocess.run([CLI, "watch", *paths, "--listen", "127.0.0.1:0", *args], capture_output=True, text=True,
                            env={**clean, **env, "TMPDIR": str(tmp_path)}, timeout=60)
    assert result.returncode == 1 and result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr and "secret" not in result.stderr


def test_slack_and_github_statuses_from_a_git_watch(tmp_path: Path) -> None:
    bare, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    shutil.copytree(MANIFESTS, work / "ecs")
    (work / "ecs" / "migrate-task.yaml").unlink()
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "first")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    commit = git(work, "rev-parse", "HEAD")
    slack, github = Receiver(), Receiver(answers=[502])  # GitHub's first answer fails: retried
    lines: list[str] = []
    with sandbox_process("0.1") as env:
        argv = [CLI, "watch", "--git", str(bare), "--path", "ecs", "--interval", "1h", "--listen", "127.0.0.1:0",
                "--resync", "1h", "--requeue", "0.5s", "--notify-format", "slack", "--notify", slack.url + SLACK_PATH,
                "--github-status", "--github-repo", "acme/ops", "--github-api", github.url + "/api/v3",
                "--ui-url", "https://reconciler.internal.example/", "--notify-backoff", "0.1s",
                "--log-level", "debug", "--log-format", "json"]
        proc = subprocess.Popen(argv, env={**env, "GITHUB_TOKEN": TOKEN, "TMPDIR": str(tmp_path)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        stderr = proc.stderr
        reader = threading.Thread(target=lambda: lines.extend(stderr), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 120
            while [r.body["state"] for r in github.received] != ["pending", "success"]:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
                time.sleep(0.1)
            slack.wait_for(2)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, "".join(lines)
            reader.join(10)
            slack.close()
            github.close()
    log = "".join(lines)
    assert TOKEN not in log and "XXXXsecret" not in log and "Traceback" not in log
    events = [json.loads(line) for line in lines if line.startswith("{")]
    [notifying] = [e for e in events if e["event"] == "Notifying"]
    assert notifying["targets"] == [f"slack {slack.url}/…", f"github {github.url} acme/ops"]
    statuses = github.received
    assert all(r.path == f"/api/v3/repos/acme/ops/statuses/{commit}" for r in statuses)
    assert statuses[0].headers["Authorization"] == f"Bearer {TOKEN}" and github.attempts == 3
    assert statuses[1].body == {"state": "success", "description": "applied: AWS matches this commit",
                                "context": "reconciler", "target_url": "https://reconciler.internal.example/"}
    applied, rolled = slack.bodies()[:2]
    assert all(r.path == SLACK_PATH for r in slack.received)
    assert applied["text"].startswith("Applied 4 changes") and set(applied) == {"text", "blocks"}
    assert f"commit `{commit[:12]}`" in applied["blocks"][1]["elements"][0]["text"]
    assert rolled["blocks"][0]["text"]["text"].startswith(":white_check_mark: *Rolled out web:1 · Service/demo/web*")
