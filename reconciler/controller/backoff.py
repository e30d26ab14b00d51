"""Per-resource exponential backoff with jitter (controller-runtime semantics): each failure doubles the
wait up to a cap; a success forgets the resource."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 5.0
    cap: float = 300.0
    jitter: float = 0.2  # up to +-20% so that many failing resources do not retry in lockstep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random
    failures: dict[Hashable, int] = field(default_factory=dict)
    until: dict[Hashable, float] = field(default_factory=dict)

    def failure(self, key: Hashable) -> float:
        """Record a failure; returns the delay before the resource is tried again."""
        count = self.failures.get(key, 0) + 1
        self.failures[key] = count
        delay: float = min(self.cap, self.base * 2.0 ** (count - 1))
        delay *= 1 + self.jitter * (2 * self.rand() - 1)
        self.until[key] = self.clock() + delay
        return delay

    def forget(self, key: Hashable) -> None:
        self.failures.pop(key, None)
        self.until.pop(key, None)

    def waiting(self, key: Hashable) -> float:
        """Seconds left before `key` may be tried again (0 when it may)."""
        return max(0.0, self.until.get(key, 0.0) - self.clock())

    def next_due(self) -> float | None:
        """Seconds until the earliest backed-off resource may be tried again (None: nothing is waiting)."""
        now = self.clock()
        left = [u - now for u in self.until.values() if u > now]
        return min(left) if left else None

    def expire(self) -> None:
        """Forget deadlines that have passed (the failure counts stay, so the next failure waits longer).
        Called as a pass starts: a resource whose wait is over is simply tried, once, by that pass."""
        now = self.clock()
        self.until = {k: u for k, u in self.until.items() if u > now}
