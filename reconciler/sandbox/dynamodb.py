"""DynamoDB in the sandbox: conditional writes are atomic, as in AWS.

AWS: a conditional PutItem/UpdateItem/DeleteItem (and TransactWriteItems) checks its condition and writes
as one atomic step; two writers racing on one item cannot both succeed. That is what lock leases rely on.
Stock moto: the check and the write are separate Python steps with no lock, so racing requests (threads
in-process, or concurrent HTTP requests to the server under load) can both pass the check (measured: two
winners out of four racers). Fix: every item write in moto's DynamoDB backend runs under one lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from reconciler.sandbox import patching

__all__ = ["install_dynamodb_fixes"]

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_LOCK = threading.RLock()


def install_dynamodb_fixes() -> None:
    """Idempotent: make moto's DynamoDB item writes atomic."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        patching.patch(DynamoDBBackend, name, _atomic, owner="dynamodb-fixes")


def _atomic(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(self, *args, **kwargs)

    return write
