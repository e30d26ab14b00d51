"""What the benchmarks run against and measure with: the sandbox as a process of its own (bench/sandbox_server.py),
an HTTP proxy in front of it that counts every request by AWS operation (whichever tool sends it: reconciler,
ecs-deploy, the AWS CLI), and commands run as a user runs them, timed."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CLI = str(BIN / "reconciler")
REGION = "us-east-1"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Sandbox:
    measured: str  # the URL every measured command uses (latency and throttling apply)
    setup: str  # the URL the setup uses (neither applies)
    process: subprocess.Popen[str]

    def env(self, url: str | None = None) -> dict[str, str]:
        """The environment a user exports to point AWS tools at this sandbox."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=url or self.measured, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", NO_COLOR="1",
                   AWS_PAGER="")
        return env


@contextmanager
def sandbox(*options: str, step_seconds: float = 1.0) -> Iterator[Sandbox]:
    """bench/sandbox_server.py with `options` (--aws-latency, --aws-throttling), stopped (by its PID) at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["RECONCILER_SANDBOX_STEP_SECONDS"] = str(step_seconds)
    process = subprocess.Popen([sys.executable, str(BENCH / "sandbox_server.py"), *options], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        fields = dict(part.split("=", 1) for part in line.split())
        if "measured" not in fields:
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        yield Sandbox(fields["measured"], fields["setup"], process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Counts:
    """Requests forwarded, by operation (X-Amz-Target), since the last reset."""

    operations: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str) -> None:
        with self.lock:
            self.operations[operation] += 1

    def take(self) -> Counter[str]:
        with self.lock:
            taken, self.operations = self.operations, Counter()
            return taken


@contextmanager
def counting_proxy(upstream: str) -> Iterator[tuple[str, Counts]]:
    """A proxy on 127.0.0.1 forwarding to `upstream` and counting every request (retries included)."""
    target = urlsplit(upstream)
    counts = Counts()
    local = threading.local()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            operation = str(self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            counts.add(operation or f"{self.command} {self.path.split('?')[0]}")
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                local.connection = None
                raise
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", counts
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Run:
    seconds: float
    code: int
    out: str
    err: str


def run(args: list[str], env: dict[str, str], timeout: float = 3600) -> Run:
    """A command as a user runs it; wall-clock time from start to exit."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    return Run(time.perf_counter() - started, done.returncode, done.stdout, done.stderr)


def checked(result: Run, what: str) -> Run:
    if result.code != 0:
        raise RuntimeError(f"{what} exited {result.code}:\n{result.out[-2000:]}\n{result.err[-2000:]}")
    return result


def verbose_calls(stderr: str) -> dict[str, Any]:
    """The `-v` summary reconciler prints: total, attempts, throttled, waiting, by operation."""
    calls: dict[str, Any] = {"byOperation": {}}
    for line in stderr.splitlines():
        if line.startswith("AWS calls: "):
            words = line.replace("(", " ").replace(",", " ").split()
            calls["calls"] = int(words[2])
            calls["awsSeconds"] = float(words[4].rstrip("s"))
            calls["attempts"] = int(words[5])
            calls["throttled"] = int(words[8])
            calls["rateLimitedSeconds"] = float(words[12].rstrip("s"))
        elif line.startswith("  ") and len(line.split()) == 2 and "." in line.split()[0]:
            name, count = line.split()
            calls["byOperation"][name] = int(count)
    return calls


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Watcher:
    """`reconciler watch` as a process of its own: its JSON log lines, its /status, its resident memory."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen([CLI, "watch", *args, "--listen", "127.0.0.1:0", "--log-format", "json"],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.url = ""
        self.passes = 0
        stderr = self.process.stderr
        assert stderr is not None

        def read() -> None:
            for line in stderr:
                try:
                    self.lines.put(json.loads(line))
                except ValueError:
                    continue

        threading.Thread(target=read, daemon=True).start()

    def next_pass(self, timeout: float = 1800) -> dict[str, Any]:
        """Wait for the next "Pass done"; the pass as /status reports it (duration, AWS calls)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"watch exited {self.process.returncode}")
            try:
                event = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError("watch made no pass in time") from None
            if event.get("event") == "Serving":
                self.url = str(event["url"])
            if event.get("event") == "Pass done":
                self.passes += 1
                with urllib_open(f"{self.url}/status") as response:
                    status: dict[str, Any] = json.loads(response.read())
                return dict(status["lastPass"])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def urllib_open(url: str) -> Any:
    import urllib.request

    return urllib.request.urlopen(url, timeout=30)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    return {"cpus": os.cpu_count(), "cpu": model, "memoryMiB": memory, "python": sys.version.split()[0],
            "loadAverage": os.getloadavg(),
            "versions": {name: version(name) for name in ("moto", "boto3", "botocore", "ecs-deploy", "awscli")}}
