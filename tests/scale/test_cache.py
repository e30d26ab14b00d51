"""The task definition cache (reconciler.live.cache): a missing, corrupt or foreign file is a cold cache, never a
wrong plan; the file is private (0600 in a 0700 directory), bounded, and holds no secret-looking value; a cache of
an endpoint that was reset since (the sandbox restarted) is noticed and forgotten."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler import pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.live.cache import FORMAT, RevisionCache, is_aws_endpoint
from reconciler.model.plan import Action

from ..conftest import REGION
from ..sandbox_process import CLI, sandbox_process
from .helpers import apply_all, calls_of, family, write


def connect(cache_dir: Path) -> Any:
    return pipeline.connect(AwsSettings(region=REGION, rate_share=None), cache_dir)


def cache_file(cache_dir: Path) -> Path:
    [path] = cache_dir.glob("task-definitions-*.json")
    return path


def test_the_file_is_private_and_rewritten_atomically(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=3, clusters=1))]
    apply_all(aws, m)
    calls_of(connect(tmp_path / "cache"), m)
    path = cache_file(tmp_path / "cache")
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and len(data["revisions"]) == 3
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("content", [b"{not json", b"", json.dumps({"format": FORMAT + 1, "revisions": {}}).encode(),
                                     json.dumps({"format": FORMAT, "revisions": {"x": {"content": {}}},
                                                 "anchors": {}}).encode()],
                         ids=["corrupt", "empty", "other-format", "malformed-entry"])
def test_an_unusable_file_is_a_cold_cache(aws: Any, tmp_path: Path, content: bytes) -> None:
    m = [str(write(tmp_path / "m", services=3, clusters=1))]
    apply_all(aws, m)
    calls_of(connect(tmp_path / "cache"), m)
    cache_file(tmp_path / "cache").write_bytes(content)
    plan, calls = calls_of(connect(tmp_path / "cache"), m)
    assert not plan.has_changes
    assert calls["DescribeTaskDefinition"] == 3  # cold: each family read once
    assert len(json.loads(cache_file(tmp_path / "cache").read_text())["revisions"]) == 3  # and rewritten whole


def test_a_cache_of_revisions_that_changed_under_the_same_arns_is_not_trusted(aws: Any, tmp_path: Path) -> None:
    """An endpoint that is not AWS can be reset and hand out the same ARNs for other content: the plan is right,
    and the cache is dropped."""
    m = [str(write(tmp_path / "m", services=3, clusters=1))]
    apply_all(aws, m)
    calls_of(connect(tmp_path / "cache"), m)
    cached = json.loads(cache_file(tmp_path / "cache").read_text())
    for entry in cached["revisions"].values():  # the same ARNs, another content (as after a reset)
        entry["content"]["containerDefinitions"][0]["image"] = "nginx:other"
    cached["anchors"] = {"ecs-svc/1": "somewhen"}  # deployments of another life of the endpoint
    cache_file(tmp_path / "cache").write_text(json.dumps(cached))
    conn = connect(tmp_path / "cache")
    conn.cache.aws_endpoint = False  # as for the sandbox
    plan, calls = calls_of(conn, m)
    assert not plan.has_changes, [(str(c.key), c.fields) for c in plan.changes if c.is_change]
    assert calls["DescribeTaskDefinition"] == 3


def test_the_same_endpoint_is_recognised_by_its_deployments(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=3, clusters=1))]
    apply_all(aws, m)
    calls_of(connect(tmp_path / "cache"), m)
    conn = connect(tmp_path / "cache")
    conn.cache.aws_endpoint = False
    _, calls = calls_of(conn, m)
    assert calls["DescribeTaskDefinition"] == 0  # the services' deployments are the ones seen before


def test_a_revision_holding_a_secret_in_clear_is_never_written(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=3, clusters=1, env=", {name: DB_PASSWORD, value: 'hunter2-hunter2'}"))]
    apply_all(aws, m)
    conn = connect(tmp_path / "cache")
    calls_of(conn, m)
    _, warm = calls_of(conn, m)
    assert warm["DescribeTaskDefinition"] == 0  # kept in memory for this process...
    text = cache_file(tmp_path / "cache").read_text()
    assert "hunter2" not in text and json.loads(text)["revisions"] == {}  # ...never on disk
    _, later = calls_of(connect(tmp_path / "cache"), m)
    assert later["DescribeTaskDefinition"] == 3


def test_patterns_added_later_drop_what_the_file_holds(aws: Any, tmp_path: Path) -> None:
    m = [str(write(tmp_path / "m", services=3, clusters=1))]
    apply_all(aws, m)
    calls_of(connect(tmp_path / "cache"), m)
    conn = connect(tmp_path / "cache")
    conn.cache.patterns = (*conn.cache.patterns, "SLOT")  # SLOT=... is in every revision
    conn.disk.load(conn.cache, lambda *a, **k: None)
    assert conn.cache.entries == {}


def test_the_file_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    clock = iter(range(1000))
    cache = RevisionCache(max_bytes=600, clock=lambda: float(next(clock)))
    for i in range(5):
        arn = f"arn:aws:ecs:us-east-1:123456789012:task-definition/f{i}:1"
        cache.put(arn, {"taskDefinitionArn": arn, "containerDefinitions": [{"name": "x" * 100}]}, [])
    cache.content("arn:aws:ecs:us-east-1:123456789012:task-definition/f0:1")  # used last
    kept = list(cache.to_json()["revisions"])
    assert 1 <= len(kept) < 5 and kept[0].endswith("/f0:1")
    assert sum(len(json.dumps(v["content"])) for v in cache.to_json()["revisions"].values()) <= 600


def test_only_aws_endpoints_are_trusted_without_a_check() -> None:
    assert is_aws_endpoint("https://ecs.us-east-1.amazonaws.com")
    assert is_aws_endpoint("https://ecs-fips.us-gov-west-1.amazonaws.com")
    assert is_aws_endpoint("https://ecs.cn-north-1.amazonaws.com.cn")
    assert not is_aws_endpoint("http://127.0.0.1:4566")
    assert not is_aws_endpoint("http://localhost.amazonaws.com.evil.example")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.server
def test_a_sandbox_restarted_on_the_same_port_is_a_new_account(tmp_path: Path) -> None:
    """The user's case: `reconciler sandbox --port P`, apply, Ctrl-C, start it again on P and apply something else
    there: the same ARNs now hold other content. The CLI's cache directory must not make the plan wrong."""
    first = write(tmp_path / "first", services=3, clusters=1, image="nginx:first")
    second = write(tmp_path / "second", services=3, clusters=1, image="nginx:second")
    port = str(free_port())

    def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args, "--cache-dir", str(tmp_path / "cache")], env=env, capture_output=True,
                              text=True, timeout=300)

    with sandbox_process("0.05", "--port", port) as env:
        assert cli(env, "apply", str(first), "--no-wait").returncode == 0
        assert cli(env, "plan", str(first), "--detailed-exitcode").returncode == 0  # the cache knows `first`
        assert len(list((tmp_path / "cache").glob("task-definitions-*.json"))) == 1
    with sandbox_process("0.05", "--port", port) as env:
        assert cli(env, "apply", str(second), "--no-wait", "--no-cache").returncode == 0  # the same ARNs, 2nd image
        planned = cli(env, "plan", str(first), "-o", "json", "-v")
        assert planned.returncode == 0, planned.stderr
        changes = {c["name"]: c for c in json.loads(planned.stdout)["changes"] if c["kind"] == "TaskDefinition"}
        assert {name: c["action"] for name, c in changes.items()} == {family(i): "update" for i in range(3)}
        assert {f["path"] for c in changes.values() for f in c["fields"]} == {"containerDefinitions[app].image"}


def test_the_cache_counts_for_nothing_in_a_plan_on_another_region(aws: Any, tmp_path: Path) -> None:
    """One file per endpoint and region."""
    m = [str(write(tmp_path / "m", services=2, clusters=1))]
    apply_all(aws, m)
    calls_of(connect(tmp_path / "cache"), m)
    other = pipeline.connect(AwsSettings(region="eu-west-1", rate_share=None), tmp_path / "cache")
    assert other.cache.entries == {}
    assert len(list((tmp_path / "cache").glob("task-definitions-*.json"))) == 1
    plan, calls = calls_of(other, m)
    assert calls["DescribeTaskDefinition"] == 2 and calls["DescribeServices"] == 0  # each family looked for once
    assert {c.action for c in plan.changes} == {Action.CREATE}
