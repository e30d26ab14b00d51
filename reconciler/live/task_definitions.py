"""Read the latest ACTIVE revision of each family, and resolve task definitions services name."""

from __future__ import annotations

from reconciler.aws.ecs import EcsApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def read(state: LiveState, families: list[str], refs: list[str], ecs: EcsApi) -> None:
    for family in families:
        arn = ecs.latest_task_definition_arn(family)
        if arn is None:
            continue
        found = ecs.describe_task_definition(arn)
        if found is None:
            continue
        task_definition, tag_list = found
        spec = dict(task_definition)
        spec["tags"] = tag_list
        state.task_definitions[family] = LiveResource(
            Kind.TASK_DEFINITION, family, task_definition["taskDefinitionArn"], spec, tags_to_map(tag_list),
            task_definition.get("status", "ACTIVE"))
    for ref in refs:
        if ref in state.task_definition_refs:
            continue
        if ":" not in ref:  # a bare family: AWS resolves it to the latest ACTIVE revision
            state.task_definition_refs[ref] = ecs.latest_task_definition_arn(ref)
            continue
        found = ecs.describe_task_definition(ref)
        active = found is not None and found[0].get("status") == "ACTIVE"
        state.task_definition_refs[ref] = found[0]["taskDefinitionArn"] if found and active else None
