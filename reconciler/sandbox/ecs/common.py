"""What the ECS fix modules share: statuses, the patch owner, and one paged list response."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException

from reconciler.sandbox import patching
from reconciler.sandbox.pagination import paginate

__all__ = ["ACTIVE", "DRAINING", "INACTIVE", "paged_result", "patch"]

ACTIVE = "ACTIVE"
DRAINING = "DRAINING"
INACTIVE = "INACTIVE"

_OWNER = "ecs-fixes"


def patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    """Replace ``cls.name`` by ``make(original)``, once (see ``sandbox.patching``)."""
    patching.patch(cls, name, make, owner=_OWNER)


def paged_result(
    response: Any, keys: Sequence[str], result_key: str, *, default_page: int, max_page: int
) -> ActionResult:
    """An ECS list response: one page of ``keys`` under ``result_key``, with maxResults/nextToken honoured."""
    page, token = paginate(keys, keys, response._get_param("maxResults"), response._get_param("nextToken"),
                           default_page=default_page, max_page=max_page, error=InvalidParameterException)
    return ActionResult({result_key: page, "nextToken": token})
