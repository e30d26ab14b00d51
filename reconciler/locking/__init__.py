"""Locks so that two writers never act at once.

* `file_lock`: one writer per machine and target (a local file lock).
* `dynamodb_lock`: one writer anywhere (a lease in a DynamoDB table, renewed in the background).
* `install_fencing`: every mutating AWS call first checks that we still hold the lock.
* `ShardLeases`: watchers sharing work, one lease per shard.

A refused writer gets `LockHeldError` (exit code 3) naming the holder; a writer that lost its lease while acting
gets `LockLostError` at its next write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler.errors import LockHeldError, LockLostError
from reconciler.locking.base import Lock, default_holder, iso_utc
from reconciler.locking.dynamodb import DynamoDBLock, ShardLeases
from reconciler.locking.fencing import install_fencing, is_mutating
from reconciler.locking.file import FileLock, default_lock_path, file_lock


def dynamodb_lock(client: Any, table: str, key: str, holder: str, timeout: float, lease_seconds: float = 30.0,
                  renew_every: float | None = None, clock: Callable[[], float] = time.time) -> DynamoDBLock:
    """A lease on item `key` of DynamoDB `table` (created on first use), held by `holder` (see
    `default_holder()`), renewed every `renew_every` seconds (default lease/3) while held."""
    return DynamoDBLock(client, table, key, holder, timeout, lease_seconds=lease_seconds,
                        renew_every=renew_every, clock=clock)


__all__ = [
    "DynamoDBLock",
    "FileLock",
    "Lock",
    "LockHeldError",
    "LockLostError",
    "ShardLeases",
    "default_holder",
    "default_lock_path",
    "dynamodb_lock",
    "file_lock",
    "install_fencing",
    "is_mutating",
    "iso_utc",
]
