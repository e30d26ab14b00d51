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
from reconciler.model.tags import spec_tags, tags_member, user_tags
from reconciler.model.tags import tag_list as kind_tag_list
from reconciler.planning.diff import diff
from reconciler.planning.normalize import (
    KEY_VALUE_LISTS,
    KEYED_LISTS,
    canonical,
    left_scoped,
    project,
    prune_empty,
    spec_shape,
)
from reconciler.planning.planner import UNOBSERVABLE_SERVICE_FIELDS

Path = tuple[str | int, ...]  # keys and list indexes from the top of a spec

# Kinds whose tags are ECR's {Key, Value}; the others use ECS's {key, value}.
_ECR_TAGS = frozenset({Kind.REPOSITORY})


def tag_list(kind: Kind, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """Tags in the API's own list form for `kind` (a launch template's: its TagSpecifications entry)."""
    if kind in _ECR_TAGS:
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    if kind not in (Kind.CLUSTER, Kind.SERVICE, Kind.TASK_DEFINITION, Kind.TASK, Kind.CAPACITY_PROVIDER):
        return kind_tag_list(kind, dict(tags))
    return [{"key": k, "value": v} for k, v in tags.items()]


def input_form(kind: Kind, live: Mapping[str, Any]) -> dict[str, Any]:
    """Live describe output (already mapped onto input names) as a manifest spec: only what the create
    operation accepts, our own bookkeeping tags removed, empty values dropped, in the shape's key order."""
    ks = KIND_SPECS[kind]
    member = tags_member(kind)
    body = {k: v for k, v in live.items() if k not in ks.excluded and k not in ("tags", member)}
    spec: dict[str, Any] = project(spec_shape(kind), body)
    for extra in ks.extra:
        if extra in live:
            spec[extra] = copy.deepcopy(live[extra])
    tags = user_tags(spec_tags(kind, live))
    if tags:
        spec[member] = tag_list(kind, tags)
    return ordered(kind, prune_empty(spec))


def minimal(kind: Kind, spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` without every field the normaliser treats as an AWS default (the canonical form is unchanged).

    Fields are tried deepest first, one at a time, each removal kept only when the canonical form stays
    exactly the same; so the result plans identically to `spec` by construction. Only members of API
    structures are tried (never a free-form map's keys, a name/value entry, or the name of a container).
    """
    target = canonical(kind, spec)
    current = copy.deepcopy(spec)
    shape = spec_shape(kind)
    containers = current.get("containerDefinitions")
    if kind is Kind.TASK_DEFINITION and isinstance(containers, list) and len(containers) > 1:
        # Each container is tried within the task-level fields and itself alone: a far smaller document to
        # normalise. The whole is checked after; should the normaliser relate containers to each other, every
        # field is tried again against the whole document.
        task_level = {k: v for k, v in current.items() if k != "containerDefinitions"}
        for container in containers:
            single = {**task_level, "containerDefinitions": [container]}
            _reduce(kind, single, [p for p in _paths(single, shape) if p[0] == "containerDefinitions"])
        _reduce(kind, current, [p for p in _paths(current, shape) if p[0] != "containerDefinitions"])
        if _canonical_or_none(kind, current) != target:
            current = copy.deepcopy(spec)
            _reduce(kind, current, list(_paths(current, shape)))
    else:
        _reduce(kind, current, list(_paths(current, shape)))
    return ordered(kind, prune_empty(current))


def _canonical_or_none(kind: Kind, spec: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return canonical(kind, spec)
    except (AttributeError, TypeError, KeyError, ValueError):
        return None  # a shape the normaliser does not expect: certainly not the same document


def _reduce(kind: Kind, spec: dict[str, Any], paths: list[Path]) -> None:
    """Remove, in place, each field of `paths` whose removal leaves the canonical form of `spec` unchanged."""
    target = canonical(kind, spec)
    for path in paths:
        parent: Any = spec
        for part in path[:-1]:
            parent = parent[part]
        value = parent.pop(path[-1])
        if _canonical_or_none(kind, spec) != target:
            parent[path[-1]] = value  # (key order is restored by `ordered`)


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
    member = tags_member(kind)
    if member in out:
        out[member] = out.pop(member)
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


def _paths(value: Any, shape: Shape | None, prefix: Path = (), identity: str | None = None) -> Iterator[Path]:
    """The members of API structures under `value`, children before their parent (post-order): never a
    free-form map's keys, the inside of name/value entries, or the member that names an item of a keyed list."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for key, child in value.items():
            member = shape.members.get(key)
            if key not in KEY_VALUE_LISTS:
                yield from _paths(child, member, (*prefix, key), KEYED_LISTS.get(key))
            if key != identity:
                yield (*prefix, key)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, shape.member, (*prefix, i), identity)
