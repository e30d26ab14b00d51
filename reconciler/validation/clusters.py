"""Rules ECS applies to CreateCluster beyond what the model carries.

CC  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html
"""

from __future__ import annotations

from typing import Any

from reconciler.validation.issues import Issue, Rule, items, tag_rules
from reconciler.validation.services import strategy_rules


def default_strategy(spec: dict[str, Any]) -> list[Issue]:
    """CC capacityProviders: "A capacity provider must be associated with a cluster before it can be included
    as part of the default capacity provider strategy of the cluster"; the strategy rules of any strategy."""
    out = strategy_rules(spec, "defaultCapacityProviderStrategy")
    listed = set(spec.get("capacityProviders") or [])
    for path, item in items(spec, "defaultCapacityProviderStrategy"):
        name = item.get("capacityProvider")
        if name not in listed:
            out.append(Issue(f"capacity provider {name!r} is in the default strategy but not in capacityProviders",
                             (*path, "capacityProvider")))
    return out


def tags(spec: dict[str, Any]) -> list[Issue]:
    return tag_rules(spec, "key")


RULES: tuple[Rule, ...] = (default_strategy, tags)
