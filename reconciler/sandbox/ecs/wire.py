"""Requests that do not fit the ECS API's types, refused before anything else as AWS's JSON services do.

The API model botocore ships says which members are 32-bit ``integer`` (``desiredCount``, ports, percents,
...); botocore does not check ranges, so a number beyond 32 bits reaches the service, which cannot read it
and answers ``SerializationException`` (HTTP 400, no message).
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session

from reconciler.sandbox.ecs.errors import SerializationException

__all__ = ["check_types"]

_INT32 = (-(2**31), 2**31 - 1)


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    return botocore.session.get_session().get_service_model("ecs")


def check_types(action: str, request: dict[str, Any]) -> None:
    """Raise SerializationException when an Integer member of ``action``'s input is beyond 32 bits."""
    model = _model()
    if action not in model.operation_names:
        return
    shape = model.operation_model(action).input_shape
    if shape is not None and not _fits(shape, request):
        raise SerializationException()


def _fits(shape: Any, value: Any) -> bool:
    kind = shape.type_name
    if kind == "integer":
        return not (isinstance(value, int) and not isinstance(value, bool)) or _INT32[0] <= value <= _INT32[1]
    if kind == "structure" and isinstance(value, dict):
        return all(_fits(shape.members[k], v) for k, v in value.items() if k in shape.members)
    if kind == "list" and isinstance(value, list):
        return all(_fits(shape.member, item) for item in value)
    if kind == "map" and isinstance(value, dict):
        return all(_fits(shape.value, item) for item in value.values())
    return True
