"""AWS's latency and ECS's request throttling, on demand, in front of the sandbox's HTTP server.

* **Latency**: every AWS request (any service; not moto's own ``/moto-api``) waits ``latency`` seconds before
  it is answered, like the round trip to a region.
* **Throttling**: ECS throttles each account and region with token buckets, one per group of actions (AWS:
  "Request throttling for the Amazon ECS API"): a bucket holds up to its burst of tokens, each request takes
  one, and tokens come back at the sustained rate. A request that finds its bucket empty is answered like ECS
  answers it: HTTP 400, ``ThrottlingException``, "Rate exceeded". Actions the table does not name are not
  throttled. Refill is continuous (ECS adds the tokens once a second; the average rate is the same).

Both apply at the HTTP layer, below any client's retries, so they are what an SDK sees from real AWS.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ECS_ACTION_GROUPS", "ECS_BUCKETS", "Limits", "LimitsMiddleware", "TokenBuckets"]

# group -> (bucket maximum capacity = burst, refill rate per second = sustained), and the actions in it.
ECS_BUCKETS: dict[str, tuple[int, float]] = {
    "Cluster modify actions": (20, 1),
    "Cluster read actions": (50, 20),
    "Task definition modify actions": (20, 1),
    "Task definition read actions": (50, 20),
    "Task definition deletion actions": (5, 1),
    "Capacity provider modify actions": (10, 1),
    "Capacity provider read actions": (50, 20),
    "Tag modify actions": (20, 10),
    "Tag read actions": (50, 20),
    "Setting modify actions": (10, 1),
    "Setting read actions": (50, 20),
    "Cluster resource modify actions": (100, 40),
    "Cluster resource read actions": (100, 20),
    "Agent modify actions": (200, 120),
    "Service modify actions": (50, 5),
    "Service read actions": (100, 20),
    "Service deployment actions": (50, 20),
    "Service revision actions": (50, 20),
    "Task protection actions": (200, 80),
    "Cluster service resource read actions": (10, 1),
}
ECS_ACTION_GROUPS: dict[str, str] = {
    action: group
    for group, actions in {
        "Cluster modify actions": ("CreateCluster", "DeleteCluster", "PutClusterCapacityProviders", "UpdateCluster",
                                   "UpdateClusterSettings"),
        "Cluster read actions": ("DescribeClusters", "ListClusters"),
        "Task definition modify actions": ("DeregisterTaskDefinition", "RegisterTaskDefinition"),
        "Task definition read actions": ("DescribeTaskDefinition", "ListTaskDefinitions",
                                         "ListTaskDefinitionFamilies"),
        "Task definition deletion actions": ("DeleteTaskDefinitions",),
        "Capacity provider modify actions": ("CreateCapacityProvider", "DeleteCapacityProvider",
                                             "UpdateCapacityProvider"),
        "Capacity provider read actions": ("DescribeCapacityProviders",),
        "Tag modify actions": ("TagResource", "UntagResource"),
        "Tag read actions": ("ListTagsForResource",),
        "Setting modify actions": ("DeleteAccountSetting", "PutAccountSetting", "PutAccountSettingDefault"),
        "Setting read actions": ("ListAccountSettings",),
        "Cluster resource modify actions": ("DeleteAttributes", "DeregisterContainerInstance", "ExecuteCommand",
                                            "PutAttributes", "RunTask", "StartTask", "StopTask",
                                            "UpdateContainerAgent", "UpdateContainerInstancesState"),
        "Cluster resource read actions": ("DescribeContainerInstances", "DescribeTasks", "ListAttributes",
                                          "ListContainerInstances", "ListTasks"),
        "Agent modify actions": ("RegisterContainerInstance", "SubmitAttachmentStateChanges",
                                 "SubmitContainerStateChange", "SubmitTaskStateChange"),
        "Service modify actions": ("CreateService", "DeleteService", "UpdateService"),
        "Service read actions": ("DescribeServices", "ListServices"),
        "Service deployment actions": ("DescribeServiceDeployments", "ListServiceDeployments"),
        "Service revision actions": ("DescribeServiceRevisions",),
        "Task protection actions": ("UpdateTaskProtection", "GetTaskProtection"),
        "Cluster service resource read actions": ("ListServicesByNamespace",),
    }.items()
    for action in actions
}

_ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_DEFAULT_ACCOUNT = "123456789012"  # moto's
_DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Limits:
    """``latency``: seconds added to every AWS request; ``throttling``: ECS's token buckets.

    ``clock`` (what the buckets refill by) and ``sleep`` (how latency waits) are the real ones unless a test
    replaces them."""

    latency: float = 0.0
    throttling: bool = False
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (0 <= self.latency < 60):
            raise ValueError(f"latency must be between 0 and 60 seconds, not {self.latency!r}")


class TokenBuckets:
    """ECS's buckets per (account, region, group), full at first."""

    def __init__(self, buckets: dict[str, tuple[int, float]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = dict(ECS_BUCKETS if buckets is None else buckets)
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str, str], tuple[float, float]] = {}  # key -> (tokens, at)
        self.throttled: Counter[str] = Counter()  # action -> requests refused so far

    def take(self, account: str, region: str, action: str) -> bool:
        """Take a token for ``action``; False when its bucket is empty (the request is throttled)."""
        group = ECS_ACTION_GROUPS.get(action)
        if group is None or group not in self._limits:
            return True
        capacity, refill = self._limits[group]
        key = (account, region, group)
        with self._lock:
            now = self._clock()
            tokens, at = self._state.get(key, (float(capacity), now))
            tokens = min(float(capacity), tokens + (now - at) * refill)
            allowed = tokens >= 1.0
            self._state[key] = (tokens - 1.0 if allowed else tokens, now)
            if not allowed:
                self.throttled[action] += 1
            return allowed


def _throttled(start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    start_response("400 Bad Request", [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amzn-ErrorType", "ThrottlingException"),
    ])
    return [body]


class LimitsMiddleware:
    """A WSGI middleware that applies ``Limits`` to the requests reaching ``app``."""

    def __init__(self, app: Callable[..., Any], limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self.buckets = TokenBuckets(clock=limits.clock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            return self.app(environ, start_response)
        if self.limits.latency:
            self.limits.sleep(self.limits.latency)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if self.limits.throttling and target.startswith(_ECS_TARGET):
            match = _CREDENTIAL_REGION.search(str(environ.get("HTTP_AUTHORIZATION", "")))
            region = match.group(1) if match else _DEFAULT_REGION
            account = str(environ.get("HTTP_X_MOTO_ACCOUNT_ID") or _DEFAULT_ACCOUNT)
            if not self.buckets.take(account, region, target[len(_ECS_TARGET):]):
                return _throttled(start_response)
        return self.app(environ, start_response)
