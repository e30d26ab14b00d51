"""Hostile input: an endpoint that records every AWS request (none may arrive), and helpers that run the
`reconciler` command in-process or as a process against it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CLI = str(Path(sys.executable).parent / "reconciler")


@dataclass
class Recorder:
    """An AWS endpoint on 127.0.0.1 that answers every request with AccessDenied and remembers it."""

    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(f"{self.headers.get('X-Amz-Target') or self.path}")
            body = b'{"__type":"AccessDeniedException","message":"recorded by the test: no AWS call expected"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Recorder(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Run:
    code: int
    out: str
    err: str


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """main() points structlog at the sys.stderr of the moment (a capture here): put it back afterwards, so
    later tests in this process do not log into a closed capture."""
    import structlog

    saved = structlog.get_config()
    try:
        yield
    finally:
        structlog.configure(**saved)


def main_inprocess(args: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    """`reconciler ARGS --log-format json` in this process. An exception escaping main() (what a user would
    see as a traceback) fails the test by itself."""
    from reconciler.cli import main

    capsys.readouterr()
    with restored_logging():
        code = main([*args, "--log-format", "json"])
    out, err = capsys.readouterr()
    return Run(code, out, err)


def run_inprocess(args: list[str], recorder: Recorder, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> Run:
    """`reconciler ARGS` in this process, AWS pointed at the recorder."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", recorder.url)
    monkeypatch.setenv("NO_COLOR", "1")
    return main_inprocess(args, capsys)


def run_process(args: list[str], recorder: Recorder, cwd: Path) -> Run:
    """`reconciler ARGS` as a user runs it. The timeout only keeps a hang from blocking the suite: a
    bounded read makes these return at once, and no test asserts on time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=recorder.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               NO_COLOR="1")
    result = subprocess.run([CLI, *args, "--log-format", "json"], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=120)
    return Run(result.returncode, result.stdout, result.stderr)
