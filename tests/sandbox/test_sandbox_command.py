"""`reconciler sandbox` as a user starts it. Ready means ready: `--port P` accepts connections only once it is
seeded, so a script that uses the README's default network as soon as the port opens succeeds. A sandbox
that cannot start says why, without a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from reconciler.sandbox import SANDBOX_SECURITY_GROUP, SANDBOX_SUBNETS, TASK_EXECUTION_ROLE_NAME

from ..sandbox_process import CLI

pytestmark = pytest.mark.server
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[str], deadline: float) -> None:
    """Return the moment a TCP connection to the port succeeds (no pause between attempts)."""
    while True:
        assert proc.poll() is None, "the sandbox exited"
        assert time.monotonic() < deadline, "the sandbox never listened"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            continue


def client(service: str, port: int) -> Any:
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"total_max_attempts": 1}))


def test_the_port_opens_only_once_the_seed_exists() -> None:
    port = free_port()
    ec2, iam = client("ec2", port), client("iam", port)  # made beforehand: no delay once the port opens
    subnets = [s[0] for s in SANDBOX_SUBNETS]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen([CLI, "sandbox", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        wait_for_port(port, proc, time.monotonic() + 120)

        assert sorted(s["SubnetId"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]) == subnets
        assert ec2.describe_security_groups(GroupIds=[SANDBOX_SECURITY_GROUP])["SecurityGroups"]
        assert iam.get_role(RoleName=TASK_EXECUTION_ROLE_NAME)["Role"]["RoleName"] == TASK_EXECUTION_ROLE_NAME
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(env)
    return subprocess.run([CLI, *args], env=environment, capture_output=True, text=True, timeout=120)


def test_a_busy_port_is_an_error_not_a_traceback() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        result = run("sandbox", "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot start the sandbox on 127.0.0.1:")
    assert "Traceback" not in result.stderr


def test_ignored_endpoints_refuse_the_ephemeral_sandbox_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: c}\nspec: {}\n")
    result = run("plan", str(tmp_path), "--sandbox", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true")
    assert result.returncode == 1
    assert "error: refusing to start the sandbox: AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (("--aws-latency", "fast"), "error: --aws-latency: not a duration: 'fast' (use e.g. 40ms or 0.04s)"),
    (("--aws-latency", "90s"), "error: --aws-latency: '90s' is too long (at most 60s)"),
    (("--port", "70000"), "error: --port: 70000 is not a port (0-65535)"),
])
def test_bad_options_are_errors(args: tuple[str, ...], message: str) -> None:
    result = run("sandbox", *args)
    assert (result.returncode, result.stderr.strip()) == (1, message)
