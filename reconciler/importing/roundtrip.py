"""Exact round trips: the shortest manifest spec that the planner reads as the live resource.

A live resource (describe output mapped onto input names) is projected onto its create operation's input
shape, so what AWS owns drops out without a hand-kept list. Then each field is left out only when the
planner's own normaliser (`reconciler.planning.normalize.canonical`) would not see the difference, which is
exactly "an AWS default" as plan compares (`essential: true`, `cpu: 0`, `protocol: tcp`, ...). Finally the
result is checked the way the planner compares: `differences()` must be empty, or the caller warns.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from reconciler.model.keys import Kind
from reconciler.model.plan import FieldChange
from reconciler.model.specs import KIND_SPECS
from reconciler.model.tags import tags_to_map, user_tags
from reconciler.planning.diff import diff
from reconciler.planning.normalize import KEYED_LISTS, canonical, left_scoped, project, prune_empty, spec_shape
from reconciler.planning.planner import UNOBSERVABLE_SERVICE_FIELDS

# Kinds whose tags are ECR's {Key, Value}; the others use ECS's {key, value}.
_ECR_TAGS = frozenset({Kind.REPOSITORY})


def tag_list(kind: Kind, tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags in the API's own list form for `kind`."""
    if kind in _ECR_TAGS:
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return [{"key": k, "value": v} for k, v in tags.items()]


def input_form(kind: Kind, live: Mapping[str, Any]) -> dict[str, Any]:
    """Live describe output (already mapped onto input names) as a manifest spec: only what the create
    operation accepts, our own bookkeeping tags removed, empty values dropped, in the shape's key order."""
    ks = KIND_SPECS[kind]
    body = {k: v for k, v in live.items() if k not in ks.excluded and k != "tags"}
    spec: dict[str, Any] = project(spec_shape(kind), body)
    for extra in ks.extra:
        if extra in live:
            spec[extra] = copy.deepcopy(live[extra])
    tags = user_tags(tags_to_map(live.get("tags")))
    if tags:
        spec["tags"] = tag_list(kind, tags)
    return ordered(kind, prune_empty(spec))


def minimal(kind: Kind, spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` without every field the normaliser treats as an AWS default (the canonical form is unchanged).

    Fields are tried deepest first, one at a time, each removal kept only when the canonical form stays
    exactly the same; so the result plans identically to `spec` by construction.
    """
    target = canonical(kind, spec)
    current = copy.deepcopy(spec)
    for path in list(_paths(current)):
        candidate = _without(current, path)
        if candidate is not None and _canonical_or_none(kind, candidate) == target:
            current = candidate
    return ordered(kind, prune_empty(current))


def _canonical_or_none(kind: Kind, spec: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return canonical(kind, spec)
    except (AttributeError, TypeError, KeyError, ValueError):
        return None  # a shape the normaliser does not expect: certainly not the same document


def differences(kind: Kind, imported: Mapping[str, Any], live: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """What plan would report for `imported` against `live` (beyond ownership tags), compared as the planner
    compares: task definitions whole, the other kinds on the fields the manifest sets. For services, pass
    `imported` with `taskDefinition` as the ARN it resolves to."""
    desired = canonical(kind, imported)
    if kind is Kind.SERVICE:
        desired = {k: v for k, v in desired.items() if k not in UNOBSERVABLE_SERVICE_FIELDS and k != "cluster"}
    live_form = canonical(kind, live)
    if kind is not Kind.TASK_DEFINITION:
        live_form = left_scoped(live_form, desired)
    return diff(live_form, desired)


# --- key order: the AWS input shape's member order (name and image first in a container) ----------------

def ordered(kind: Kind, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Keys in the input shape's member order, tags last (as the example manifests have them)."""
    out: dict[str, Any] = _ordered(spec_shape(kind), spec)
    if "tags" in out:
        out["tags"] = out.pop("tags")
    return out


def _ordered(shape: Shape | None, value: Any) -> Any:
    if isinstance(value, Mapping):
        if isinstance(shape, StructureShape):
            names = [m for m in shape.members if m in value] + [k for k in value if k not in shape.members]
            return {k: _ordered(shape.members.get(k), value[k]) for k in names}
        inner = shape.value if isinstance(shape, MapShape) else None
        return {k: _ordered(inner, v) for k, v in value.items()}
    if isinstance(value, list):
        member = shape.member if isinstance(shape, ListShape) else None
        return [_ordered(member, v) for v in value]
    return value


# --- removing one field at a time -------------------------------------------------------------------------

Path = tuple[str | int, ...]


def _paths(value: Any, prefix: Path = (), identity: str | None = None) -> Iterator[Path]:
    """Every map key under `value`, children before their parent (post-order); never the member that
    identifies an item of a keyed list (a container's name)."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key), KEYED_LISTS.get(key))
            if key != identity:
                yield (*prefix, key)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i), None if identity is None else identity)


def _without(spec: dict[str, Any], path: Path) -> dict[str, Any] | None:
    out = copy.deepcopy(spec)
    node: Any = out
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not isinstance(node, dict) or path[-1] not in node:
        return None
    del node[path[-1]]
    return out
