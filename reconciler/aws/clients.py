"""Sessions and clients: the standard credential chain, adaptive retries, and hooks that count the calls made:
every operation by name (what a plan costs), and the mutating ones in order (the invariant "a second apply makes
no mutating AWS call" is checked with it)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from reconciler import __version__
from reconciler.aws.errors import ambiguous_exception, ambiguous_status
from reconciler.aws.ratelimit import DEFAULT_SHARE, RateLimiter
from reconciler.errors import ReconcilerError

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck")

# botocore logs full request parameters (secrets included) at DEBUG: never let that through.
logging.getLogger("botocore").setLevel(logging.WARNING)
logging.getLogger("boto3").setLevel(logging.WARNING)
logging.getLogger("urllib3").setLevel(logging.WARNING)


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # explicit endpoint (the sandbox); otherwise AWS_ENDPOINT_URL etc.
    access_key: str | None = None  # only for the sandbox: dummy credentials, never real ones
    secret_key: str | None = None
    rate_share: float | None = DEFAULT_SHARE  # of ECS's request quotas (reconciler.aws.ratelimit); None: no limit
    max_connections: int = 10  # HTTP connections per client (at least the concurrent requests)


@dataclass
class MutationLog:
    """Every mutating AWS operation made through our clients, in order ("ecs.UpdateService")."""

    calls: list[str] = field(default_factory=list)

    def hook(self, event_name: str, **kwargs: Any) -> None:
        # event_name: before-call.<service>.<Operation>
        _, service, operation = event_name.split(".", 2)
        if not operation.startswith(READ_PREFIXES):
            self.calls.append(f"{service}.{operation}")


THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException",
                              "ProvisionedThroughputExceededException", "SlowDown"})


@dataclass
class CallLog:
    """Every AWS operation made through our clients, counted by name ("ecs.DescribeServices"), the HTTP
    attempts botocore made for them (more than the operations when it retried), and the attempts AWS throttled
    (botocore retried them)."""

    operations: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    throttled: int = 0
    last_attempt: float = 0.0  # time.monotonic() of the latest attempt (the controller's liveness during a pass)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_call(self, event_name: str, **kwargs: Any) -> None:
        # event_name: before-call.<service>.<Operation>
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            self.operations[f"{service}.{operation}"] += 1

    def on_send(self, **kwargs: Any) -> None:
        with self._lock:
            self.attempts += 1
            self.last_attempt = time.monotonic()

    def on_response(self, response: Any = None, **kwargs: Any) -> None:
        """botocore `needs-retry`: count throttled attempts (whether botocore then retries is not decided here)."""
        if response is None:
            return
        code = (response[1] or {}).get("Error", {}).get("Code") if isinstance(response, tuple) else None
        if code in THROTTLING_CODES:
            with self._lock:
                self.throttled += 1

    def snapshot(self) -> tuple[Counter[str], int]:
        """A copy of the counts so far (subtract two snapshots for what happened in between)."""
        with self._lock:
            return Counter(self.operations), self.attempts

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self.on_call)
        client.meta.events.register("before-send.*.*", self.on_send)
        client.meta.events.register("needs-retry.*.*", self.on_response)


# Writes that AWS carries out again when sent again and that carry no idempotency token: botocore must not resend
# them after an ambiguous failure (a lost response, a 5xx); the applier looks for the result first
# (reconciler.apply.idempotency). Throttling and refused connections prove nothing was done: those are retried.
# Every other mutating call we make is idempotent or carries a clientToken: see docs/reliability.md.
NO_BLIND_RETRY = (
    ("ecs", "RegisterTaskDefinition"),
    # Decrements the group's desired capacity: the instance roll reads the group again instead (apply.instance_roll).
    ("autoscaling", "TerminateInstanceInAutoScalingGroup"),
)


def veto_ambiguous_retry(response: Any = None, caught_exception: BaseException | None = None,
                         **kwargs: Any) -> bool | None:
    """A botocore needs-retry handler: False (do not retry) after an ambiguous failure, None (let botocore's own
    retry handler decide) otherwise. Registered on the operation's own event, so it answers first."""
    if caught_exception is not None:
        return False if ambiguous_exception(caught_exception) else None
    if response is not None and ambiguous_status(getattr(response[0], "status_code", None)):
        return False
    return None


def install_retry_veto(client: Any, service: str) -> None:
    for name, operation in NO_BLIND_RETRY:
        if name == service:
            client.meta.events.register_first(f"needs-retry.{service}.{operation}", veto_ambiguous_retry,
                                              unique_id=f"reconciler-no-blind-retry-{service}-{operation}")


@dataclass
class Clients:
    ecs: Any
    ecr: Any
    region: str
    mutations: MutationLog
    session: Any = None
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    endpoint: str = ""  # what these clients talk to (for lock scopes and messages)
    calls: CallLog = field(default_factory=CallLog)
    # Installed on ECS, ECR and every other client the product writes through, made before or after (fencing).
    hooks: list[Any] = field(default_factory=list)
    made: list[Any] = field(default_factory=list)
    limiter: RateLimiter = field(default_factory=RateLimiter)

    def client(self, service: str) -> Any:
        """Another client from the same session and settings (e.g. IAM, EC2, KMS; DynamoDB for the lock table),
        with its calls counted and rate-limited. Its mutating calls count as the product's, except the lock
        table's (DynamoDB)."""
        made = self.session.client(service, **self.client_kwargs)
        self.calls.install(made)
        self.limiter.install(made)
        if service != "dynamodb":
            made.meta.events.register("before-call.*.*", self.mutations.hook)
            install_retry_veto(made, service)
            self.made.append(made)
            for hook in self.hooks:
                hook(made)
        return made

    def on_client(self, hook: Any) -> None:
        """Run `hook(client)` on ECS, ECR and every other product client (not the lock table's), now and later."""
        self.hooks.append(hook)
        for client in (self.ecs, self.ecr, *self.made):
            hook(client)


def make_clients(settings: AwsSettings) -> Clients:
    # botocore reads only AWS_DEFAULT_REGION; AWS_REGION is what the other SDKs and ECS tasks set.
    region_name = settings.region or os.environ.get("AWS_REGION") or None
    session = boto3.session.Session(
        profile_name=settings.profile,
        region_name=region_name,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
    )
    configured_endpoint = settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if session.region_name is None and not configured_endpoint:
        raise ReconcilerError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), a region in your profile, "
                              "or pass --region")
    region = session.region_name or "us-east-1"
    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": 8},
        user_agent_extra=f"reconciler/{__version__}",
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=max(10, settings.max_connections),
    )
    mutations = MutationLog()
    calls = CallLog()
    limiter = RateLimiter(settings.rate_share)
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
    ecs = session.client("ecs", **kwargs)
    ecr = session.client("ecr", **kwargs)
    for client, service in ((ecs, "ecs"), (ecr, "ecr")):
        client.meta.events.register("before-call.*.*", mutations.hook)
        calls.install(client)
        limiter.install(client)
        install_retry_veto(client, service)
    endpoint = settings.endpoint_url or ecs.meta.endpoint_url
    return Clients(ecs=ecs, ecr=ecr, region=region, mutations=mutations, session=session, client_kwargs=kwargs,
                   endpoint=endpoint, calls=calls, limiter=limiter)
