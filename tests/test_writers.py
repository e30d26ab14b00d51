"""Never two writers, tried with real processes against a `reconciler sandbox`: two applies sharing a
DynamoDB lock table, and watchers sharing clusters through shard leases with takeover when one dies."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import MANIFESTS
from .sandbox_process import sandbox_process
from .test_cli import named

pytestmark = pytest.mark.server
CLI = str(Path(sys.executable).parent / "reconciler")


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[dict[str, str]]:
    """A sandbox whose ECS steps every 0.3 s, so that a rollout takes a few seconds."""
    with sandbox_process("0.3") as env:
        yield env


class Process:
    """A CLI process whose JSON log lines are collected as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([CLI, *args, "--log-format", "json"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.events: list[dict[str, Any]] = []
        self.stdout: list[str] = []
        assert self.proc.stderr is not None and self.proc.stdout is not None
        err, out = self.proc.stderr, self.proc.stdout
        threading.Thread(target=lambda: self.events.extend(_json(line) for line in err), daemon=True).start()
        threading.Thread(target=lambda: self.stdout.extend(out), daemon=True).start()

    def saw(self, event: str, **fields: Any) -> bool:
        return any(e.get("event") == event and all(e.get(k) == v for k, v in fields.items()) for e in self.events)

    def wait_for(self, event: str, seconds: float = 60, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            for e in self.events:
                if e.get("event") == event and all(e.get(k) == v for k, v in fields.items()):
                    return e
            assert self.proc.poll() is None, f"exited {self.proc.returncode}: {self.events[-5:]}"
            assert time.monotonic() < deadline, f"no {event!r} in time: {self.events[-5:]}"
            time.sleep(0.05)


def _json(line: str) -> dict[str, Any]:
    try:
        return dict(json.loads(line))
    except ValueError:
        return {"event": "text", "line": line}


def test_second_apply_exits_3_naming_the_holder(slow_sandbox: dict[str, str], tmp_path: Path) -> None:
    """Two applies with one lock table: the first applies, the second is refused with exit 3."""
    m = named(tmp_path, "lock")
    first = Process(slow_sandbox, "apply", str(m), "--lock-table", "locks", "--poll", "0.2s")
    first.wait_for("Holding the lock")
    # Freeze the first writer while the second tries: on a loaded machine the first could otherwise finish its
    # whole apply before the second even started. A frozen holder keeps its lease until the lease (30 s) runs out.
    os.kill(first.proc.pid, signal.SIGSTOP)
    try:
        second = subprocess.run([CLI, "apply", str(m), "--lock-table", "locks", "--lock-timeout", "0s"],
                                env=slow_sandbox, capture_output=True, text=True, timeout=120)
    finally:
        os.kill(first.proc.pid, signal.SIGCONT)
    assert second.returncode == 3, second.stderr
    assert "held by" in second.stderr and "locks" in second.stderr
    assert first.proc.wait(120) == 0
    third = subprocess.run([CLI, "apply", str(m), "--lock-table", "locks", "--lock-timeout", "30s"],
                           env=slow_sandbox, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0 and "No changes." in third.stdout


def test_a_dead_watchers_shards_are_taken_over(slow_sandbox: dict[str, str], tmp_path: Path) -> None:
    """Two watchers share the shards (a newcomer gets its share); killing one lets the other take over its
    shards once their leases expire, and it reconciles them."""
    m = tmp_path / "m"
    shutil.copytree(MANIFESTS, m)
    (m / "migrate-task.yaml").unlink()
    for path in m.glob("*.yaml"):
        path.write_text(path.read_text().replace("name: demo\n", "name: shard-a\n")
                        .replace("cluster: demo\n", "cluster: shard-a\n"))
    other = (m / "cluster.yaml").read_text().replace("name: shard-a\n", "name: shard-b\n")
    (m / "cluster-b.yaml").write_text(other)
    common = ["watch", str(m), "--lock-table", "shards", "--shard-by", "cluster", "--lease", "3s",
              "--resync", "1h", "--listen", "127.0.0.1:0", "--requeue", "0.3s", "--debounce", "0.2s"]
    first = Process(slow_sandbox, *common)
    first.wait_for("Pass done")
    assert set(first.wait_for("Shards held")["shards"]) == {"_global", "shard-a", "shard-b"}  # alone: all
    second = Process(slow_sandbox, *common)
    second.wait_for("Pass done")
    taken = second.wait_for("Took over shards", seconds=120)  # the first releases its extra shard for it
    assert len(taken["shards"]) == 1
    assert first.saw("Releasing a shard for another watcher")
    first.proc.send_signal(signal.SIGKILL)  # dies without releasing its leases
    first.proc.wait(10)
    url = second.wait_for("Serving")["url"]

    def second_holds_all() -> bool:
        status = json.loads(urllib.request.urlopen(url + "/status").read())
        return set(status["shards"] or []) == {"_global", "shard-a", "shard-b"}

    deadline = time.monotonic() + 120  # a bound for a loaded machine, not a speed target
    while not second_holds_all():
        assert time.monotonic() < deadline, "the dead watcher's shards were not taken over"
        time.sleep(0.2)
    assert second.saw("Pass done", trigger="takeover")
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(30) == 0
