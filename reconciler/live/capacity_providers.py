"""Read ECS capacity providers (ACTIVE ones: a deleted provider is absent), with tags."""

from __future__ import annotations

from reconciler.aws.ecs import EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map

BUILT_IN = frozenset({"FARGATE", "FARGATE_SPOT"})  # AWS's own: never read, never managed


def read(state: LiveState, names: list[str], ecs: EcsApi) -> None:
    wanted = [n for n in names if n not in BUILT_IN and n not in state.capacity_providers]
    if not wanted:
        return
    for name, provider in ecs.describe_capacity_providers(wanted).items():
        state.capacity_providers[name] = LiveResource(
            Kind.CAPACITY_PROVIDER, name, str(provider["capacityProviderArn"]), dict(provider),
            tags_to_map(provider.get("tags")))
