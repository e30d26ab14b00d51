"""Shared fixtures: dummy AWS credentials for every test, and an in-process moto with the sandbox's
ECS fixes (real-ECS behaviour) for tests of the whole pipeline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "manifests"
EC2_CLUSTER = ROOT / "examples" / "ec2-cluster"  # the ECS chapter's cluster of container instances
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Never reach real AWS from a test: dummy credentials, no profile, no configured endpoint. Local writer
    locks and the task definition cache live in the test's own directories: in-process applies of tests running
    in parallel against their own in-process moto share one endpoint name, so they must not share one lock file."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    runtime = tmp_path_factory.mktemp("locks")  # (beside the test's tmp_path, never inside it)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    # The task definition cache of CLI runs (reconciler.live.cache): the test's own, never the user's.
    monkeypatch.delenv("RECONCILER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def aws(aws_env: None) -> Iterator[object]:
    """An in-process AWS (moto + the sandbox's ECS fixes, seeded like the sandbox) and a connection."""
    from moto import mock_aws

    from reconciler import pipeline
    from reconciler.aws.clients import AwsSettings
    from reconciler.sandbox import get_pace, install_ecs_fixes, seed_sandbox, set_pace

    install_ecs_fixes()
    pace = get_pace()
    set_pace(0.02)  # ECS at a fast pace: a scheduler step every 20 ms
    try:
        with mock_aws():
            seed_sandbox(None, REGION)
            # moto in-process does not throttle: no client-side rate limit (tests/scale covers the limiter).
            yield pipeline.connect(AwsSettings(region=REGION, rate_share=None))
    finally:
        set_pace(pace)
