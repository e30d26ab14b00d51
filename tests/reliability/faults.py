"""Faults injected below botocore's retry layer, as a botocore `before-send` handler: each HTTP attempt (first
sends and botocore's retries alike) may fail. Some faults are answered without reaching AWS (throttling, a
server error, a connection reset before the request was sent); the others reach AWS, which carries the request
out, and then lose the response (a read timeout, a reset connection, a 500 after the fact). Seeded: the same
seed makes the same decisions for the n-th attempt of each operation, whatever the order in which the product's
threads send them."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Self

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

# (kind, reaches AWS)
KINDS = (
    ("throttling", False),
    ("server-error", False),
    ("reset-before", False),
    ("timeout-after", True),
    ("reset-after", True),
    ("server-error-after", True),
)
LOST = {kind for kind, reaches in KINDS if reaches}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _json_error(request: Any, status: int, code: str, message: str) -> AWSResponse:
    target = str(request.headers.get("X-Amz-Target", b"") or b"")
    content_type = "application/x-amz-json-1.0" if "DynamoDB" in target else "application/x-amz-json-1.1"
    body = f'{{"__type":"{code}","message":"{message}"}}'.encode()
    return AWSResponse(request.url, status, {"Content-Type": content_type}, _Raw(body))


def operation_of(request: Any) -> str:
    """The operation of a request: X-Amz-Target (JSON protocols: ECS, ECR, DynamoDB), or the Action of a
    query-protocol body (EC2, Auto Scaling, IAM)."""
    target = request.headers.get("X-Amz-Target", b"")
    text = target.decode() if isinstance(target, bytes) else str(target)
    if text:
        return text.rsplit(".", 1)[-1]
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        from urllib.parse import parse_qs

        return parse_qs(body).get("Action", [""])[0]
    if isinstance(body, dict):  # (botocore's request dict before it is serialised)
        return str(body.get("Action", ""))
    return ""


@dataclass
class Faults:
    """A `before-send` handler failing `rate` of the attempts (decided by a `random.Random(seed)`)."""

    seed: int
    rate: float = 0.10
    only: frozenset[str] | None = None  # operations to fail (None: all)
    kinds: tuple[tuple[str, bool], ...] = KINDS
    attempts: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)  # operation -> responses lost after AWS acted
    sent: Counter[str] = field(default_factory=Counter)  # operation -> attempts seen

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._http = URLLib3Session()

    def install(self, *clients: Any) -> Faults:
        for client in clients:
            client.meta.events.register_first("before-send", self)
        return self

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        operation = operation_of(request)
        if self.only is not None and operation not in self.only:
            return None
        with self._lock:
            self.attempts += 1
            decide = random.Random(f"{self.seed}:{operation}:{self.sent[operation]}")
            self.sent[operation] += 1
        if decide.random() >= self.rate:
            return None
        kind, reaches_aws = decide.choice(self.kinds)
        with self._lock:
            self.injected[kind] += 1
        if reaches_aws:
            self._http.send(request)  # AWS carries the request out...
            with self._lock:
                self.lost[operation] += 1  # ...and its response never arrives
        if kind == "throttling":
            return _json_error(request, 400, "ThrottlingException", "Rate exceeded")
        if kind in ("server-error", "server-error-after"):
            return _json_error(request, 500, "ServerException", "injected server error")
        if kind == "timeout-after":
            raise ReadTimeoutError(endpoint_url=request.url)
        raise ConnectionClosedError(endpoint_url=request.url)


class _OneOperation:
    """A `before-send` handler acting on the first `times` sends of `operation` (all of them counted in `sent`)."""

    operation: str
    times: int
    sent: int

    def install(self, *clients: Any) -> Self:
        for client in clients:
            client.meta.events.register_first("before-send", self)
        return self

    def _takes(self, request: Any) -> bool:
        if operation_of(request) != self.operation:
            return False
        self.sent += 1
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class LoseResponse(_OneOperation):
    """A `before-send` handler that lets `operation` reach AWS and then loses its response, `times` times."""

    operation: str
    times: int = 1
    error: str = "timeout"  # or "reset", "500"
    sent: int = 0

    def __post_init__(self) -> None:
        self._http = URLLib3Session()

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self._takes(request):
            return None
        self._http.send(request)
        if self.error == "500":
            return _json_error(request, 500, "ServerException", "injected server error")
        if self.error == "reset":
            raise ConnectionClosedError(endpoint_url=request.url)
        raise ReadTimeoutError(endpoint_url=request.url)


@dataclass
class Refuse(_OneOperation):
    """A `before-send` handler answering `operation` with AWS's error `code` and `message` (HTTP 400, in the query
    protocol's XML: EC2, Auto Scaling, IAM), `times` times, without reaching AWS; later sends go through."""

    operation: str
    code: str
    message: str
    times: int = 1
    sent: int = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self._takes(request):
            return None
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code><Message>{self.message}"
                f"</Message></Error><RequestId>injected</RequestId></ErrorResponse>").encode()
        return AWSResponse(request.url, 400, {"Content-Type": "text/xml"}, _Raw(body))
