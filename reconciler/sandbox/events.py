"""The one interface between the ECS fixes and the scheduler.

The ECS fixes (``sandbox.ecs``) own moto's service API: they validate, store and report services like ECS.
The scheduler (``sandbox.scheduler``) owns time: deployments, tasks, events. The fixes tell the scheduler
what happened through a ``Listener``; the scheduler attaches one. Neither imports the other.

* ``request(backend)`` wraps every ECS request (the scheduler runs the steps that are due first, and holds its
  lock while moto answers, so a request never sees a half-made step);
* ``service_created`` / ``service_updated`` / ``service_deleted`` follow a successful CreateService,
  UpdateService (with the update's parameters, snake_case as moto parses them) and DeleteService;
* ``drains_services``: True when the listener turns DRAINING services INACTIVE itself (once their tasks
  stopped). Without one, the fixes do it after a short delay.
* ``step_seconds()``: how long one step of ECS's time is (what the fixes wait in steps: a capacity provider's
  deletion).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol

__all__ = ["Listener", "attach", "listener"]


class Listener(Protocol):
    drains_services: bool

    def request(self, backend: Any) -> contextlib.AbstractContextManager[None]: ...

    def service_created(self, backend: Any, service: Any) -> None: ...

    def service_updated(self, backend: Any, service: Any, changes: dict[str, Any]) -> None: ...

    def service_deleted(self, backend: Any, service: Any) -> None: ...

    def step_seconds(self) -> float: ...


class _Nobody:
    """No scheduler: requests run as they come and services are not scheduled."""

    drains_services = False

    @contextlib.contextmanager
    def request(self, backend: Any) -> Iterator[None]:
        yield

    def service_created(self, backend: Any, service: Any) -> None:
        pass

    def service_updated(self, backend: Any, service: Any, changes: dict[str, Any]) -> None:
        pass

    def service_deleted(self, backend: Any, service: Any) -> None:
        pass

    def step_seconds(self) -> float:
        return 0.5


_lock = threading.Lock()
_listener: Listener = _Nobody()


def attach(new: Listener) -> None:
    """Make ``new`` the listener (process-wide, like moto's state)."""
    global _listener
    with _lock:
        _listener = new


def listener() -> Listener:
    return _listener
