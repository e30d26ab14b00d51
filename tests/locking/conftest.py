"""Fixtures for the lock tests: a moto HTTP server per module with the sandbox's DynamoDB fix (atomic
conditional writes), clients with dummy credentials pointed at it, and an injectable clock.

Never enter moto.mock_aws() in these modules while the server is alive: it wipes moto's global state."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


class FakeClock:
    """A clock the test moves by hand (epoch seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto HTTP server on a free local port, for the whole module, with the sandbox's DynamoDB fix
    (conditional writes atomic, as in AWS; stock moto lets two racing writers both win under load)."""
    from reconciler.sandbox import install_dynamodb_fixes

    install_dynamodb_fixes()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def make_client(moto_endpoint: str) -> Callable[[str], Any]:
    """A factory of boto3 clients for the moto server, with dummy credentials (never real ones)."""

    def make(service: str) -> Any:
        session: Any = boto3.session.Session()
        return session.client(
            service,
            region_name=REGION,
            endpoint_url=moto_endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


@pytest.fixture
def ddb(make_client: Callable[[str], Any]) -> Any:
    return make_client("dynamodb")


@pytest.fixture
def table() -> str:
    """A table name of its own for each test (the table is created by the lock on first use)."""
    return f"locks-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
