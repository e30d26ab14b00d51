"""Fencing: a writer that lost its lock must stop before its next write, not after.

`install_fencing` hooks every boto3 client we write through, so each mutating call first runs
`lock.check()`. Read calls (Describe*, List*, Get*, BatchGet*, BatchCheck*) go through untouched, so a writer
that lost its lock can still look, report and exit.

Do not fence the DynamoDB client that holds the lease itself: renewing and releasing are writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck")


class _Checkable(Protocol):
    def check(self) -> None: ...


def is_mutating(operation: str) -> bool:
    """Whether an AWS operation name (e.g. "CreateService") writes."""
    return not operation.startswith(READ_PREFIXES)


def install_fencing(clients: Iterable[Any], lock: _Checkable) -> None:
    """Register a botocore before-call handler on each client that calls `lock.check()` before every mutating
    operation; LockLostError then propagates out of the call and nothing is sent. Installing twice is a no-op."""

    def fence(event_name: str, **kwargs: Any) -> None:
        # event_name: before-call.<service>.<Operation>
        operation = event_name.rsplit(".", 1)[-1]
        if is_mutating(operation):
            lock.check()

    for client in clients:
        client.meta.events.register("before-call.*.*", fence, unique_id=f"reconciler-fencing-{id(lock)}")
