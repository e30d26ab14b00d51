"""Client-side rate limiting: the product keeps within a share of ECS's documented request throttling.

ECS throttles every account and region with token buckets, one per group of actions (AWS, "Request throttling
for the Amazon ECS API", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
a bucket holds up to its *burst* of tokens, each request takes one, and tokens come back at the *sustained* rate.
Every tool in the account draws on the same buckets. Here each bucket is mirrored at ``share`` of its size and
rate (``--aws-rate-share``, ``$RECONCILER_AWS_RATE_SHARE``), and every HTTP attempt (retries count at AWS too)
waits for a token before it is sent. What other tools take from the same buckets cannot be seen from here:
botocore's adaptive retries absorb the throttling that still happens.

Actions the page does not list, and services other than ECS, are not limited. `off` (a share of None) limits
nothing: for an endpoint that does not throttle (the sandbox without --aws-throttling).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SHARE_ENV = "RECONCILER_AWS_RATE_SHARE"
# A fifth of every bucket is left to the console and other tools by default; and requests the limiter lets go at
# exactly AWS's rate would reach AWS bunched up now and then (network and scheduling jitter) and be throttled at the
# bucket's edge: at 0.8 they never are.
DEFAULT_SHARE = 0.8

# group -> (burst: the bucket's maximum capacity, sustained: its refill rate per second), from the page above.
ECS_BUCKETS: dict[str, tuple[int, float]] = {
    "cluster read": (50, 20),
    "cluster modify": (20, 1),
    "task definition read": (50, 20),
    "task definition modify": (20, 1),
    "task definition deletion": (5, 1),
    "capacity provider read": (50, 20),
    "capacity provider modify": (10, 1),
    "tag read": (50, 20),
    "tag modify": (20, 10),
    "setting read": (50, 20),
    "setting modify": (10, 1),
    "cluster resource read": (100, 20),
    "cluster resource modify": (100, 40),
    "agent modify": (200, 120),
    "service read": (100, 20),
    "service modify": (50, 5),
    "service deployment": (50, 20),
    "service revision": (50, 20),
    "task protection": (200, 80),
    "cluster service resource read": (10, 1),
}
_GROUP_ACTIONS: dict[str, tuple[str, ...]] = {
    "cluster read": ("DescribeClusters", "ListClusters"),
    "cluster modify": ("CreateCluster", "DeleteCluster", "PutClusterCapacityProviders", "UpdateCluster",
                       "UpdateClusterSettings"),
    "task definition read": ("DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"),
    "task definition modify": ("RegisterTaskDefinition", "DeregisterTaskDefinition"),
    "task definition deletion": ("DeleteTaskDefinitions",),
    "capacity provider read": ("DescribeCapacityProviders",),
    "capacity provider modify": ("CreateCapacityProvider", "DeleteCapacityProvider", "UpdateCapacityProvider"),
    "tag read": ("ListTagsForResource",),
    "tag modify": ("TagResource", "UntagResource"),
    "setting read": ("ListAccountSettings",),
    "setting modify": ("DeleteAccountSetting", "PutAccountSetting", "PutAccountSettingDefault"),
    "cluster resource read": ("DescribeContainerInstances", "DescribeTasks", "ListAttributes",
                              "ListContainerInstances", "ListTasks"),
    "cluster resource modify": ("DeleteAttributes", "DeregisterContainerInstance", "ExecuteCommand", "PutAttributes",
                                "RunTask", "StartTask", "StopTask", "UpdateContainerAgent",
                                "UpdateContainerInstancesState"),
    "agent modify": ("RegisterContainerInstance", "SubmitAttachmentStateChanges", "SubmitContainerStateChange",
                     "SubmitTaskStateChange"),
    "service read": ("DescribeServices", "ListServices"),
    "service modify": ("CreateService", "DeleteService", "UpdateService"),
    "service deployment": ("DescribeServiceDeployments", "ListServiceDeployments"),
    "service revision": ("DescribeServiceRevisions",),
    "task protection": ("GetTaskProtection", "UpdateTaskProtection"),
    "cluster service resource read": ("ListServicesByNamespace",),
}
ECS_ACTION_GROUPS: dict[str, str] = {a: group for group, actions in _GROUP_ACTIONS.items() for a in actions}


def share_from(value: str | float | None) -> float | None:
    """A share from an option or $RECONCILER_AWS_RATE_SHARE (None: the variable, else the default); None for
    `off`; ValueError unless it is `off` or a number above 0 and at most 1."""
    raw = os.environ.get(SHARE_ENV) if value is None else value
    if raw is None or raw == "":
        return DEFAULT_SHARE
    if isinstance(raw, str) and raw.strip().lower() == "off":
        return None
    try:
        share = float(raw)
    except ValueError:
        raise ValueError(f"not a number: {raw!r} (a share of ECS's request quotas, e.g. 0.5, or off)") from None
    if not 0 < share <= 1:
        raise ValueError(f"{raw!r} is not a share: give a number above 0 and at most 1 (e.g. 0.5), or off")
    return share


@dataclass
class TokenBucket:
    """A token bucket that makes callers wait rather than refusing them: a caller reserves the next token (the
    count may go below zero: callers queue) and sleeps until it has been refilled."""

    capacity: float
    rate: float  # tokens per second
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    at: float = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.tokens = self.capacity
        self.at = self.clock()

    def reserve(self) -> float:
        """Take a token; the seconds to wait before using it (0 when one was there)."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
            self.at = now
            self.tokens -= 1.0
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateLimiter:
    """ECS's buckets at `share` of their burst and rate (None: no limit), shared by every client (and thread) it is
    installed on. `waited` is the total time requests waited for a token, by action."""

    def __init__(self, share: float | None = DEFAULT_SHARE, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.share = share
        self.sleep = sleep
        self.buckets = {group: TokenBucket(max(1.0, burst * share), rate * share, clock)
                        for group, (burst, rate) in ECS_BUCKETS.items()} if share is not None else {}
        self.waited: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, service: str, operation: str) -> float:
        """Wait for a token for one request of `operation`; the seconds waited."""
        group = ECS_ACTION_GROUPS.get(operation) if service == "ecs" else None
        if group is None or group not in self.buckets:
            return 0.0
        delay = self.buckets[group].reserve()
        if delay > 0:
            with self._lock:
                self.waited[operation] = self.waited.get(operation, 0.0) + delay
            self.sleep(delay)
        return delay

    def on_send(self, request: Any = None, event_name: str = "", **kwargs: Any) -> None:
        """botocore `before-send.<service>.<Operation>`: every HTTP attempt, retries included."""
        _, service, operation = event_name.split(".", 2)
        self.acquire(service, operation)

    def install(self, client: Any) -> None:
        client.meta.events.register("before-send.*.*", self.on_send, unique_id=f"reconciler-rate-limit-{id(self)}")
