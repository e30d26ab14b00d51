"""The AWS API's own description of its inputs, read from the service models botocore ships.

Validation, JSON Schema, the list of fields AWS owns and the list of fields that cannot be updated
in place are all derived from these shapes, so they follow AWS releases instead of going stale.
This reads bundled JSON files only; it never talks to AWS.
"""

from __future__ import annotations

import re
from functools import cache

from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape, StructureShape


@cache
def service_model(service: str) -> ServiceModel:
    data = Loader().load_service_model(service, "service-2")
    return ServiceModel(data, service_name=service)


def input_shape(service: str, operation: str) -> StructureShape:
    shape = service_model(service).operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def output_member(service: str, operation: str, member: str) -> Shape:
    shape = service_model(service).operation_model(operation).output_shape
    assert isinstance(shape, StructureShape)
    return shape.members[member]


def member_names(service: str, operation: str) -> frozenset[str]:
    return frozenset(input_shape(service, operation).members)


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def summary(shape: Shape, limit: int = 300) -> str:
    """The first sentence or two of a shape's AWS documentation, as plain text."""
    text = _SPACE.sub(" ", _TAG.sub(" ", shape.documentation or "")).strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit].rstrip() + "…"


def structure_members(service: str, shape_name: str) -> frozenset[str]:
    """Member names of a named structure shape (e.g. the ECS `Service` or `Deployment` output)."""
    shape = service_model(service).shape_for(shape_name)
    assert isinstance(shape, StructureShape)
    return frozenset(shape.members)
