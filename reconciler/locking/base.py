"""What every lock offers, and the small helpers the implementations share."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable


@runtime_checkable
class Lock(Protocol):
    """A mutual-exclusion lock for writers. Use as a context manager, or acquire/release explicitly.

    `check()` is the fencing check: call it (or let `install_fencing` call it) before every mutating action,
    so a writer that lost its lock stops before its next write."""

    name: str  # what is locked, for messages and logs

    def acquire(self, timeout: float) -> None:
        """Wait up to `timeout` seconds (0 = try once), polling; raise LockHeldError if still held by another."""
        ...

    def release(self) -> None:
        """Give the lock up. Idempotent; never raises for a lock that was already lost (that is logged)."""
        ...

    def check(self) -> None:
        """Raise LockLostError if we no longer hold the lock."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class LockContext:
    """`with lock:` for the implementations: acquire with the timeout given at construction, then release."""

    _timeout: float

    def acquire(self, timeout: float) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.acquire(self._timeout)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def default_holder() -> str:
    """A holder id unique to this process and this lock object: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def iso_utc(epoch: float) -> str:
    """Epoch seconds as ISO-8601 UTC, e.g. 2025-01-31T12:00:00Z."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
