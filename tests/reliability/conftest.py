"""Fixtures for the reliability tests: an in-process `Sandbox` server on 127.0.0.1 (faults are injected in front
of real HTTP), connections to it, and botocore's backoff made short (its sleeps are not what is under test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler import pipeline
from reconciler.aws.clients import AwsSettings

from ..conftest import REGION


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's exponential backoff and adaptive rate limiting, shortened (retries still happen)."""
    import botocore.retries.adaptive as adaptive
    import botocore.retries.standard as standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.01)
    monkeypatch.setattr(adaptive.ClientRateLimiter, "on_sending_request", lambda self, request, **kw: None)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[Any]:
    """One sandbox server in this process per test module (ECS stepping every 20 ms); starting one takes seconds
    on a loaded machine, so tests share it and reset it."""
    from reconciler.sandbox import Sandbox, get_pace, set_pace

    pace = get_pace()
    with Sandbox(iam_managed_policies=False, step_seconds=0.02) as server:
        try:
            yield server
        finally:
            # moto's state is process-wide: leave none behind for the next module of this worker (a large state
            # makes the next sandbox slow to answer), and the scheduler at the pace it had.
            server.reset(seed=False)
            set_pace(pace)


@pytest.fixture
def sandbox(sandbox_server: Any, aws_env: None, fast_retries: None) -> Iterator[Any]:
    """The sandbox server, emptied and seeded afresh for this test."""
    from reconciler.sandbox import get_pace, set_pace

    pace = get_pace()
    set_pace(0.02)
    sandbox_server.reset()
    try:
        yield sandbox_server
    finally:
        set_pace(pace)


def settings(server: Any) -> AwsSettings:
    return AwsSettings(region=REGION, endpoint_url=server.url, access_key="testing", secret_key="testing")


@pytest.fixture
def conn(sandbox: Any) -> pipeline.Connection:
    """The connection the product uses (faults are installed on its clients by each test)."""
    return pipeline.connect(settings(sandbox))


@pytest.fixture
def observer(sandbox: Any) -> pipeline.Connection:
    """A second, fault-free connection, to look at what AWS holds."""
    return pipeline.connect(settings(sandbox))
