"""Run independent AWS reads at once, on a bounded number of threads.

boto3 clients are thread-safe (sessions are not: every client is made up front, in reconciler.aws.clients), and
an AWS read mostly waits for the network, so a few threads turn N round trips into about N / workers. The
client-side rate limiter (reconciler.aws.ratelimit) keeps the product within ECS's request quotas however many
threads ask at once.

`gather` is the one way to do it: results come back in the order of the calls, and the first call (in that
order) that raised has its exception raised once every call has finished, so a read never leaves a thread
behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

WORKERS_ENV = "RECONCILER_AWS_CONCURRENCY"
DEFAULT_WORKERS = 8


def workers_from(value: str | int | None) -> int:
    """The number of concurrent AWS requests (an option, else $RECONCILER_AWS_CONCURRENCY, else 8); ValueError
    unless it is a whole number from 1 to 64."""
    raw = os.environ.get(WORKERS_ENV) if value is None else value
    if raw is None or raw == "":
        return DEFAULT_WORKERS
    try:
        workers = int(raw)
    except ValueError:
        raise ValueError(f"not a whole number: {raw!r}") from None
    if not 1 <= workers <= 64:
        raise ValueError(f"{raw!r}: give a number of concurrent requests from 1 to 64")
    return workers


_workers = DEFAULT_WORKERS


def configure(workers: int) -> None:
    """Set how many AWS requests the product makes at once (for this process)."""
    global _workers
    _workers = workers


def current_workers() -> int:
    return _workers


def gather(calls: Iterable[Callable[[], T]], workers: int | None = None) -> list[T]:
    """Run `calls` on up to `workers` threads (default: as configured) and return their results in order."""
    pending = list(calls)
    limit = min(workers or _workers, len(pending))
    if limit <= 1:
        return [call() for call in pending]
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="reconciler-aws") as pool:
        futures: list[Future[T]] = [pool.submit(call) for call in pending]
    # (leaving the block waited for every call)
    return [future.result() for future in futures]
