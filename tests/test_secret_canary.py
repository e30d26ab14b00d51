"""The canary: one manifest set carrying secret values `CANARY-<random>` (a task definition's environment and
docker labels, a one-off Task's container override, a cluster tag, and a --var feeding a secret-named
variable), run through the real CLI against a `reconciler sandbox` process behind a recording HTTP proxy:
validate, plan (text, JSON, markdown, --out), apply (a saved plan, a change, a failing migration, an AWS
error that echoes the request), status (text, JSON), bad input, and a `watch` process's logs, HTTP endpoints,
web page (and its live part) and the webhook notifications it posts, all at --log-level debug. Every stdout,
stderr, file written and HTTP body is searched for the canaries and for plain hashes of them: zero hits. The
same run checks that a changed secret still shows as a change in every plan format, and that the tool never
asks Secrets Manager or SSM for a value."""

from __future__ import annotations

import hashlib
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
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import MANIFESTS
from .receiver import Receiver
from .sandbox_process import sandbox_process

pytestmark = pytest.mark.server
CLI = str(Path(sys.executable).parent / "reconciler")


class RecordingProxy:
    """An HTTP proxy in front of the sandbox (below botocore's retries): records every AWS operation, and
    while `echo_errors` is on answers RegisterTaskDefinition with a ClientException that echoes the whole
    request, as the worst AWS validation message would."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.echo_errors = False
        self.operations: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target") or self.path
                proxy.operations.append(target)
                if proxy.echo_errors and target.endswith(".RegisterTaskDefinition"):
                    message = f"Invalid request: {body.decode()}"
                    self._reply(400, "application/x-amz-json-1.1",
                                json.dumps({"__type": "ClientException", "message": message}).encode())
                    return
                self._forward("POST", body)

            def do_GET(self) -> None:
                proxy.operations.append(self.path)
                self._forward("GET", None)

            def _forward(self, method: str, body: bytes | None) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(proxy.upstream + self.path, data=body, method=method,
                                                 headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        self._reply(response.status, response.headers.get("Content-Type", ""), response.read())
                except urllib.error.HTTPError as exc:
                    self._reply(exc.code, exc.headers.get("Content-Type", ""), exc.read())

            def _reply(self, code: int, kind: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[dict[str, str], RecordingProxy]]:
    with sandbox_process("0.05") as env:
        proxy = RecordingProxy(env["AWS_ENDPOINT_URL"])
        try:
            yield {**env, "AWS_ENDPOINT_URL": proxy.url}, proxy
        finally:
            proxy.server.shutdown()


class Run:
    """Runs the CLI and keeps every output, file and body for the final search."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = {**env, "TMPDIR": str(tmp)}
        self.outputs: list[tuple[str, str]] = []

    def __call__(self, *args: str, env: dict[str, str] | None = None, expect: int | None = 0
                 ) -> subprocess.CompletedProcess[str]:
        argv = [CLI, *args, "--log-level", "debug"]
        if args[0] == "apply":
            argv += ["--poll", "0.2s"]
        result = subprocess.run(argv, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=300)
        label = " ".join(args[:3])
        self.outputs += [(f"{label} stdout", result.stdout), (f"{label} stderr", result.stderr)]
        if expect is not None:
            assert result.returncode == expect, f"{label}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result


def canary_manifests(root: Path, suffix: str, canary: str) -> None:
    """The examples, named for this test, with secret values of `canary` in every kind of place."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(MANIFESTS, root)
    for path in root.glob("*.yaml"):
        text = path.read_text().replace("name: web\n", f"name: web-{suffix}\n")
        text = text.replace("name: demo\n", f"name: demo-{suffix}\n").replace("cluster: demo\n",
                                                                              f"cluster: demo-{suffix}\n")
        text = text.replace("taskDefinition: web\n", f"taskDefinition: web-{suffix}\n")
        text = text.replace(".amazonaws.com/web:", f".amazonaws.com/web-{suffix}:")
        text = text.replace("runBefore: [web]", f"runBefore: [web-{suffix}]")
        path.write_text(text)
    edit(root / "web-taskdef.yaml", "      secrets:\n", f"""\
        - name: DB_PASSWORD
          value: {canary}-td
        - name: SESSION_SECRET
          value: ${{SESSION_VALUE}}
      dockerLabels:
        com.example.auth-token: {canary}-label
      secrets:
""")
    edit(root / "migrate-task.yaml", '            value: "${MIGRATE_EXIT_CODE:-0}"\n', f"""\
            value: "${{MIGRATE_EXIT_CODE:-0}}"
          - name: API_TOKEN
            value: {canary}-task
""")
    edit(root / "cluster.yaml", "      value: platform\n", f"""\
      value: platform
    - key: deploy-token
      value: {canary}-tag
""")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def needles(canary: str) -> list[str]:
    """The canary's random part, every full value, and plain hashes of each (a dictionary reverses those)."""
    values = [f"{canary}-{where}" for where in ("td", "var", "label", "task", "tag")]
    out = [canary.split("-", 1)[1], *values]
    for value in values:
        for algorithm in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algorithm, value.encode()).hexdigest()
            out += [digest, digest[:16]]
    return out


def http(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode())


def test_no_output_carries_a_secret(proxied: tuple[dict[str, str], RecordingProxy], tmp_path: Path) -> None:
    env, proxy = proxied
    canaries = [f"CANARY-{uuid.uuid4().hex[:12]}" for _ in range(6)]
    run = Run(env, tmp_path)
    m = tmp_path / "m"
    canary_manifests(m, "canary", canaries[0])
    var = ["--var", f"SESSION_VALUE={canaries[0]}-var"]

    # validate: the warning for each secret in plain environment, on stderr
    checked = run("validate", str(m), *var)
    for name in ("DB_PASSWORD", "SESSION_SECRET", "API_TOKEN"):
        assert f"environment variable {name} looks secret" in checked.stderr

    # plan in every format, and a saved plan (the variable from the environment: a saved plan records --var
    # values, and keeping secret ones out of the file is the loader's part of this issue)
    assert "(sensitive)" in run("plan", str(m), *var).stdout
    assert json.loads(run("plan", str(m), *var, "-o", "json").stdout)["hasChanges"]
    assert "environment[DB_PASSWORD]: (sensitive)" in run("plan", str(m), *var, "-o", "markdown").stdout
    saved = tmp_path / "saved.json"
    run("plan", str(m), "--out", str(saved), "--log-format", "console", *var)
    assert "SESSION_VALUE" in json.loads(saved.read_text())["sensitiveVariables"]  # by name only
    applied = run("apply", str(saved), *var)  # a secret --var is not stored: given again
    assert "Live state matches the manifests." in applied.stdout
    run("status", str(m), *var)
    run("status", str(m), *var, "-o", "json", "--log-format", "console")

    # a change to the secrets: a change in every format, applied
    canary_manifests(m, "canary", canaries[1])
    var = ["--var", f"SESSION_VALUE={canaries[1]}-var"]
    text = run("plan", str(m), *var).stdout
    assert "environment[DB_PASSWORD]: (sensitive) → (sensitive, changed)" in text
    assert "environment[SESSION_SECRET]: (sensitive) → (sensitive, changed)" in text
    assert "tags[deploy-token]: (sensitive) → (sensitive, changed)" in text
    doc = json.loads(run("plan", str(m), *var, "-o", "json").stdout)
    fields = [f for c in doc["changes"] for f in c["fields"]]
    assert {"path": "containerDefinitions[web-canary].environment[DB_PASSWORD]", "before": "(sensitive)",
            "after": "(sensitive, changed)"} in fields
    markdown = run("plan", str(m), *var, "-o", "markdown").stdout
    assert "environment[DB_PASSWORD]: (sensitive) → (sensitive, changed)" in markdown
    run("apply", str(m), *var, "--log-format", "console")

    # a failing case: the migration exits 3 (the Task carries the secret in its override)
    canary_manifests(m, "canary", canaries[2])
    var = ["--var", f"SESSION_VALUE={canaries[2]}-var"]
    failed = run("apply", str(m), *var, "--var", "MIGRATE_EXIT_CODE=3", expect=1)
    assert "exited with code 3" in failed.stdout

    # an AWS error that echoes the request (every secret of the task definition in it)
    canary_manifests(m, "canary", canaries[3])
    var = ["--var", f"SESSION_VALUE={canaries[3]}-var"]
    proxy.echo_errors = True
    try:
        echoed = run("apply", str(m), *var, expect=1)
    finally:
        proxy.echo_errors = False
    [line] = [x for x in echoed.stdout.splitlines() if "ClientException: Invalid request:" in x]
    assert '{"name": "DB_PASSWORD", "value": "(sensitive)"}' in line  # the echo, redacted

    # bad input: a secret-named --var in a field that is not secret, a malformed secret entry
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "td.yaml").write_text(f"""\
apiVersion: reconciler/v1
kind: TaskDefinition
metadata:
  name: bad-canary
spec:
  containerDefinitions:
    - name: app
      image: nginx
      memory: ${{DB_PASS_VALUE}}
      environment:
        - name: API_TOKEN
          value: [{canaries[3]}-td]
""")
    refused = run("validate", str(bad), "--var", f"DB_PASS_VALUE={canaries[3]}-var", expect=1)
    assert "td.yaml:9:15" in refused.stderr and "(got '(sensitive)')" in refused.stderr

    # the controller: logs, /status (with the last pass's masked field changes), /metrics; an edit while watching
    canary_manifests(m, "canary", canaries[4])
    watch_out = watch(env, tmp_path, m, canaries, run)
    run.outputs += [("watch stderr", watch_out)]

    # the search
    written = [(str(p), p.read_text(errors="replace")) for p in tmp_path.rglob("*")
               if p.is_file() and m not in p.parents and bad not in p.parents]
    assert any(name.endswith("saved.json") for name, _ in written)
    assert len(run.outputs) >= 41  # 15 commands' stdout and stderr, the watcher's stderr, 8 HTTP bodies, webhooks
    hits = [(where, needle) for where, text in run.outputs + written for c in canaries for needle in needles(c)
            if needle in text]
    assert hits == []
    assert not [op for op in proxy.operations if op.startswith(("secretsmanager.", "AmazonSSM."))]


def watch(env: dict[str, str], tmp: Path, m: Path, canaries: list[str], run: Run) -> str:
    """A watch process: first pass, then an edit of the secrets; returns its stderr. HTTP bodies go to `run`."""
    hooks, from_env = Receiver(), Receiver()
    argv = [CLI, "watch", str(m), "--listen", "127.0.0.1:0", "--resync", "1h", "--debounce", "0.2s",
            "--log-level", "debug", "--log-format", "json", "--var", f"SESSION_VALUE={canaries[4]}-var",
            "--notify", hooks.url + "/hook", "--ui-allow-sync"]
    proc = subprocess.Popen(argv, env={**env, "TMPDIR": str(tmp), "RECONCILER_NOTIFY": from_env.url + "/env"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert proc.stderr is not None
    stderr = proc.stderr
    reader = threading.Thread(target=lambda: lines.extend(stderr), daemon=True)
    reader.start()

    def events() -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(lines) if line.startswith("{")]

    def wait_for_passes(n: int) -> None:
        deadline = time.monotonic() + 120
        while sum(e["event"] == "Pass done" for e in events()) < n:
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)

    try:
        wait_for_passes(1)
        url = next(e["url"] for e in events() if e["event"] == "Serving")
        assert any(e["event"] == "Warning" for e in events())
        for path in ("/status", "/metrics", "/healthz", "/readyz", "/", "/ui/live"):
            run.outputs.append((f"watch {path}", http(url + path)))
        # The edit, written at once (a new file moved into place): a new DB_PASSWORD.
        taskdef = m / "web-taskdef.yaml"
        (m / "edit.tmp").write_text(taskdef.read_text().replace(canaries[4], canaries[5]))
        os.replace(m / "edit.tmp", taskdef)
        changed = {"path": "containerDefinitions[web-canary].environment[DB_PASSWORD]", "before": "(sensitive)",
                   "after": "(sensitive, changed)"}
        deadline = time.monotonic() + 120
        while True:
            status = http(url + "/status")
            fields = [f for c in json.loads(status)["lastPass"].get("changes", []) for f in c["fields"]]
            if changed in fields:
                break
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        run.outputs.append(("watch /status after the edit", status))
        wait_for_passes(2)
        page = http(url + "/")
        assert "(sensitive, changed)" in page  # the page shows the change, masked
        run.outputs.append(("watch / after the edit", page))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        hooks.close()
        from_env.close()
    assert "sync.applied" in hooks.types() and from_env.bodies() == hooks.bodies()
    run.outputs += [(f"webhook {r.path}", r.raw.decode()) for r in hooks.received + from_env.received]
    return "".join(lines)


def test_extra_patterns_from_the_flag_the_environment_and_a_saved_plan(
        proxied: tuple[dict[str, str], RecordingProxy], tmp_path: Path) -> None:
    """--sensitive-pattern and $RECONCILER_SENSITIVE_PATTERNS add names to mask; `apply plan.json` masks with
    the patterns the plan was made with; a bad pattern is a clear error."""
    env, _ = proxied
    run = Run(env, tmp_path)
    (tmp_path / "td.yaml").write_text("""\
apiVersion: reconciler/v1
kind: TaskDefinition
metadata:
  name: pinned
spec:
  containerDefinitions:
    - name: app
      image: nginx
      memory: 64
      environment:
        - name: DOOR_PIN
          value: "PIN-4711-4711"
""")
    plain = run("plan", str(tmp_path / "td.yaml"), "-o", "json").stdout
    assert "PIN-4711-4711" in plain  # PIN is not a default pattern
    for how in (["--sensitive-pattern", "pin"], ["--sensitive-pattern", "OTP", "--sensitive-pattern", "PIN"]):
        masked = json.loads(run("plan", str(tmp_path / "td.yaml"), "-o", "json", *how).stdout)
        [container] = masked["changes"][0]["after"]["containerDefinitions"].values()
        assert container["environment"] == {"DOOR_PIN": "(sensitive)"}
    from_env = run("plan", str(tmp_path / "td.yaml"), env={"RECONCILER_SENSITIVE_PATTERNS": "otp, pin"})
    assert "PIN-4711" not in from_env.stdout + from_env.stderr and "DOOR_PIN]: (sensitive)" in from_env.stdout
    assert "environment variable DOOR_PIN looks secret" in from_env.stdout
    saved = tmp_path / "plan.json"
    run("plan", str(tmp_path / "td.yaml"), "--out", str(saved), "--sensitive-pattern", "PIN")
    applied = run("apply", str(saved))
    assert "DOOR_PIN]: (sensitive)" in applied.stdout and "PIN-4711" not in applied.stdout + applied.stderr
    bad = run("plan", str(tmp_path / "td.yaml"), "--sensitive-pattern", "a.b", expect=1)
    assert bad.stderr.startswith("error: --sensitive-pattern/RECONCILER_SENSITIVE_PATTERNS: sensitive pattern 'a.b'")
    assert "Traceback" not in bad.stderr
