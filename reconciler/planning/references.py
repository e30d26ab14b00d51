"""Resolve what services and one-off tasks refer to: their cluster and their task definition.

A reference is to a manifest (planned in this same plan) or to something that exists in AWS. A task
definition that this plan registers anew is only known after apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.manifest import Manifest
from reconciler.model.plan import Action, FieldChange, KnownAfterApply, ResourceChange


def tags_only(fields: Iterable[FieldChange]) -> bool:
    return all(f.path.startswith("tags") for f in fields)


def resolve(m: Manifest, live: LiveState,
            planned: dict[ResourceKey, ResourceChange]) -> tuple[dict[str, Any], list[str]]:
    """The spec with `taskDefinition` resolved to an ARN (or KnownAfterApply), and any problems."""
    spec = {k: v for k, v in m.spec.items() if k != "cluster"}
    problems: list[str] = []
    if ResourceKey(Kind.CLUSTER, m.cluster) not in planned and m.cluster not in live.clusters:
        problems.append(f"cluster {m.cluster!r} is neither a Cluster manifest nor an existing ACTIVE cluster")
    ref = str(m.spec["taskDefinition"])
    td_change = planned.get(ResourceKey(Kind.TASK_DEFINITION, ref))
    if td_change is not None:
        unchanged = td_change.action is Action.NOOP or (
            td_change.action is Action.UPDATE and tags_only(td_change.fields))
        if unchanged and ref in live.task_definitions:
            spec["taskDefinition"] = live.task_definitions[ref].arn
        else:
            spec["taskDefinition"] = KnownAfterApply(f"{ref}:<next revision>")
    else:
        arn = live.task_definition_refs.get(ref)
        if arn is None:
            problems.append(f"task definition {ref!r} is neither a TaskDefinition manifest nor an existing "
                            "ACTIVE task definition")
        else:
            spec["taskDefinition"] = arn
    return spec, problems
