"""Read the latest ACTIVE revision of each family, and resolve task definitions that services and
one-off tasks name (with their tags, where one-off task runs are recorded)."""

from __future__ import annotations

from reconciler.aws.ecs import EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def read(state: LiveState, families: list[str], refs: list[str], ecs: EcsApi) -> None:
    for family in families:
        # AWS resolves a bare family to its latest ACTIVE revision: one call, no ListTaskDefinitions first.
        found = ecs.describe_task_definition(family)
        if found is None or found[0].get("status") != "ACTIVE":
            continue
        task_definition, tag_list = found
        spec = dict(task_definition)
        spec["tags"] = tag_list
        tags = tags_to_map(tag_list)
        arn = task_definition["taskDefinitionArn"]
        state.task_definitions[family] = LiveResource(
            Kind.TASK_DEFINITION, family, arn, spec, tags, task_definition.get("status", "ACTIVE"))
        state.task_definition_tags[arn] = tags
    for ref in refs:
        if ref in state.task_definition_refs:
            continue
        # A bare family resolves to its latest ACTIVE revision, as AWS resolves it.
        found = ecs.describe_task_definition(ref)
        if found is None or found[0].get("status") != "ACTIVE":
            state.task_definition_refs[ref] = None
            continue
        arn = found[0]["taskDefinitionArn"]
        state.task_definition_refs[ref] = arn
        state.task_definition_tags[arn] = tags_to_map(found[1])
