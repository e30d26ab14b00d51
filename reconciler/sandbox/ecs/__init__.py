"""moto's ECS made to behave like Amazon ECS: one module per resource, each fix a function.

moto 5.2.5 is the sandbox's AWS. Where its ECS differs from AWS in ways that matter (docs "moto-notes",
sections 1 and 2), the ``fix_*`` functions patch moto's backend and response classes, process-wide: they
apply to ``moto.mock_aws()`` and to a moto server in this process alike. Each says in its docstring what AWS
does and what stock moto does instead.

* ``requests``: every ECS request (the scheduler's turn, then what ECS refuses: ``wire`` for the API's types,
  ``task_definition_rules`` and ``service_rules`` for the documented constraints);
* ``clusters``, ``task_definitions``, ``services``, ``capacity_providers`` (and container instances): the resources;
* ``errors``: ECS exceptions moto lacks.

The fixes tell the scheduler about services through ``sandbox.events`` and never import it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.sandbox.ecs import capacity_providers, clusters, services, task_definitions
from reconciler.sandbox.ecs.requests import fix_requests

__all__ = ["install"]

FIXES: tuple[Callable[[], None], ...] = (
    fix_requests,
    *task_definitions.FIXES,
    *clusters.FIXES,
    *services.FIXES,
    *capacity_providers.FIXES,
)

_lock = threading.Lock()


def install() -> None:
    """Apply every ECS fix (idempotent)."""
    with _lock:
        for fix in FIXES:
            fix()
