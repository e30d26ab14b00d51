"""One place answers "what does AWS have for this manifest": every kind with a lasting resource is found by its key."""

from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveResource, LiveState


def test_every_lasting_kind_is_found_by_its_key_and_tasks_never() -> None:
    state = LiveState()
    fields = {Kind.REPOSITORY: state.repositories, Kind.CLUSTER: state.clusters,
              Kind.TASK_DEFINITION: state.task_definitions, Kind.SERVICE: state.services, Kind.ROLE: state.roles,
              Kind.INSTANCE_PROFILE: state.instance_profiles, Kind.LAUNCH_TEMPLATE: state.launch_templates,
              Kind.AUTO_SCALING_GROUP: state.auto_scaling_groups, Kind.CAPACITY_PROVIDER: state.capacity_providers}
    assert set(fields) == set(Kind) - {Kind.TASK}
    for kind, table in fields.items():
        name = "c/web" if kind is Kind.SERVICE else "web"
        resource = LiveResource(kind, name, f"arn:{kind.value}", {}, {})
        table[name] = resource
        assert state.resource(ResourceKey(kind, name)) is resource
        assert state.resource(ResourceKey(kind, "other")) is None
    assert state.resource(ResourceKey(Kind.TASK, "web")) is None
