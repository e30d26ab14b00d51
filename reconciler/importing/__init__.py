"""`reconciler import`: manifests from what users already have.

Three sources, one output: live AWS (`live`), a Docker Compose file with the ECS CLI's ecs-params.yml
(`compose`, `compose_values`, `ecs_params`) and raw task definition JSON (`taskdef_json`). Each builds
`ImportedDocument`s (`document`) in the API's input form, as short as the planner allows (`roundtrip`),
with secret-looking values turned into `${VAR}` references (`secrets`); `writer` lays them out in files.
"""

from reconciler.importing.document import ImportedDocument, ImportResult

__all__ = ["ImportResult", "ImportedDocument"]
