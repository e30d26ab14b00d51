"""A `reconciler sandbox` process for end-to-end tests, as a user starts it; the environment that points
the CLI and other AWS tools at it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CLI = str(Path(sys.executable).parent / "reconciler")
REGION = "us-east-1"


@contextmanager
def sandbox_process(step_seconds: str, *options: str) -> Iterator[dict[str, str]]:
    """Start `reconciler sandbox --port 0 [options]` with ECS stepping every `step_seconds`; stop it afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(RECONCILER_SANDBOX_STEP_SECONDS=step_seconds, NO_COLOR="1")
    proc = subprocess.Popen([CLI, "sandbox", "--port", "0", *options], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        endpoint = None
        deadline = time.monotonic() + 60
        while endpoint is None:
            assert proc.poll() is None, "the sandbox exited"
            assert time.monotonic() < deadline, "the sandbox printed no endpoint"
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if line.startswith("export AWS_ENDPOINT_URL="):
                endpoint = line.strip().split("=", 1)[1]
        env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
