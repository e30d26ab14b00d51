"""Task definitions behave like ECS: family resolution, the RegisterTaskDefinition response, list calls.

What RegisterTaskDefinition refuses is in ``task_definition_rules`` (checked on the request as sent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox.ecs.common import ACTIVE, INACTIVE, paged_result, patch
from reconciler.sandbox.ecs.task_definition_rules import cpu_units, memory_mib

__all__ = ["FIXES"]


def _sort_key(arn: str) -> tuple[str, int]:
    family, _, revision = arn.split("/")[-1].rpartition(":")
    return family, int(revision)


def fix_task_definition_family_resolution() -> None:
    """A bare family ("web", or an ARN without ":N") resolves to the latest ACTIVE revision.

    AWS: DescribeTaskDefinition, CreateService, UpdateService and RunTask given only a family use the latest
    ACTIVE revision, and fail with ClientException when the family has none. Stock moto takes the highest
    revision even when it is INACTIVE (deregistered).
    """

    def make(original: Any) -> Callable[..., Any]:
        def describe_task_definition(self: Any, task_definition_str: str) -> Any:
            name = task_definition_str.split("/")[-1]
            if ":" in name:
                return original(self, task_definition_str)
            revisions = self.task_definitions.get(name) or {}
            active = [number for number, td in revisions.items() if td.status == ACTIVE]
            if not active:
                raise TaskDefinitionNotFoundException()
            return revisions[max(active)]

        return describe_task_definition

    patch(EC2ContainerServiceBackend, "describe_task_definition", make)


def fix_register_task_definition() -> None:
    """RegisterTaskDefinition registers task cpu and memory as integers and returns the tags.

    AWS: task-level ``cpu`` given as "1 vCPU" and ``memory`` as "2 GB" are registered (and reported) as "1024"
    and "2048"; the response carries ``tags`` beside ``taskDefinition``. Stock moto keeps the text as sent
    (and then fails to place such a task on EC2) and omits the tags.
    """

    def make(original: Any) -> Callable[..., Any]:
        def register_task_definition(self: Any) -> ActionResult:
            result = original(self)
            payload = dict(result.result)
            definition = payload["taskDefinition"]
            for attribute, convert in (("cpu", cpu_units), ("memory", memory_mib)):
                value = getattr(definition, attribute, None)
                amount = convert(value) if value is not None else None
                if amount is not None:
                    setattr(definition, attribute, str(amount))
            payload["tags"] = list(definition.tags or [])
            return ActionResult(payload)

        return register_task_definition

    patch(EC2ContainerServiceResponse, "register_task_definition", make)


def fix_list_task_definitions() -> None:
    """ListTaskDefinitions honours ``sort`` and paginates (default and maximum page size 100).

    AWS: results are ordered by family, then revision; ``sort=DESC`` reverses both; ``status`` filters;
    maxResults/nextToken work. Stock moto ignores ``sort`` and ``maxResults`` and returns one page.
    """

    def make(_original: Any) -> Callable[..., Any]:
        def list_task_definitions(self: Any) -> ActionResult:
            arns = self.ecs_backend.list_task_definitions(
                self._get_param("familyPrefix"), self._get_param("status") or ACTIVE
            )
            descending = (self._get_param("sort") or "ASC") == "DESC"
            arns = sorted(arns, key=_sort_key, reverse=descending)
            return paged_result(self, arns, "taskDefinitionArns", default_page=100, max_page=100)

        return list_task_definitions

    patch(EC2ContainerServiceResponse, "list_task_definitions", make)


def fix_list_task_definition_families() -> None:
    """ListTaskDefinitionFamilies honours ``status`` and paginates (default and maximum page size 100).

    AWS: ACTIVE lists families with at least one ACTIVE revision, INACTIVE lists families with none, and no
    status lists both; maxResults/nextToken work. Stock moto ignores ``status`` and pagination.
    """

    def make(_original: Any) -> Callable[..., Any]:
        def list_task_definition_families(self: Any) -> ActionResult:
            backend = self.ecs_backend
            status = self._get_param("status")
            families = []
            for family in sorted(backend.list_task_definition_families(self._get_param("familyPrefix"))):
                revisions = backend.task_definitions.get(family) or {}
                if not revisions:
                    continue  # every revision deleted: the family no longer exists
                has_active = any(td.status == ACTIVE for td in revisions.values())
                if status == ACTIVE and not has_active:
                    continue
                if status == INACTIVE and has_active:
                    continue
                families.append(family)
            return paged_result(self, families, "families", default_page=100, max_page=100)

        return list_task_definition_families

    patch(EC2ContainerServiceResponse, "list_task_definition_families", make)


FIXES: tuple[Callable[[], None], ...] = (
    fix_task_definition_family_resolution,
    fix_register_task_definition,
    fix_list_task_definitions,
    fix_list_task_definition_families,
)
