"""Monkeypatching moto's classes, once per patch.

Every change the sandbox makes to moto goes through ``patch``: it replaces ``cls.name`` by ``make(original)``
and remembers that it did, so installing twice changes nothing. Two layers may patch the same method (the
ECS fixes and the scheduler each wrap what they own); each patch is told apart by its ``owner``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["patch", "patch_static"]

_lock = threading.Lock()
_applied: set[tuple[type, str, str]] = set()


def patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]], *, owner: str) -> None:
    """Replace ``cls.name`` by ``make(current)`` unless ``owner`` already did."""
    with _lock:
        if (cls, name, owner) in _applied:
            return
        current = cls.__dict__.get(name, getattr(cls, name, None))
        setattr(cls, name, make(current))
        _applied.add((cls, name, owner))


def patch_static(cls: type, name: str, function: Callable[..., Any], *, owner: str) -> None:
    """Replace the static method ``cls.name`` by ``function`` unless ``owner`` already did."""
    with _lock:
        if (cls, name, owner) in _applied:
            return
        setattr(cls, name, staticmethod(function))
        _applied.add((cls, name, owner))
