"""Make moto's ECS (and a little of ECR) behave like real Amazon ECS.

moto 5.2.5 is the sandbox's AWS. Where its ECS model differs from AWS in ways that matter to a reconciler
(see docs "moto-notes", sections 1 and 2), the functions below monkeypatch moto's backend and response
classes. The patches are class-level and therefore process-wide: they apply to ``moto.mock_aws()`` and to a
``ThreadedMotoServer`` (or ``moto.server``) running in this process alike.

``install_ecs_fixes()`` applies every fix; it is idempotent. Each ``fix_*`` function is one fix and says in
its docstring what AWS does and what stock moto does instead.

Extension points for a later rollout simulator: the ``SERVICE_*_HOOKS`` lists are called after the
corresponding service operation with the backend and the moto ``Service`` object, and
``settle_services(backend)`` is the single place where time-based service state transitions are evaluated
(lazily, on read). A scheduler can register hooks instead of re-patching moto.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from moto.core.responses import ActionResult
from moto.ecr.exceptions import InvalidParameterException as EcrInvalidParameterException
from moto.ecr.responses import ECRResponse
from moto.ecs.exceptions import (
    ClusterNotFoundException,
    EcsClientException,
    ECSException,
    InvalidParameterException,
    TaskDefinitionNotFoundException,
)
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse

__all__ = [
    "DRAINING_TO_INACTIVE_SECONDS",
    "SERVICE_CREATED_HOOKS",
    "SERVICE_DELETED_HOOKS",
    "SERVICE_DESCRIBED_HOOKS",
    "SERVICE_UPDATED_HOOKS",
    "ClusterContainsContainerInstancesException",
    "ClusterContainsServicesException",
    "ServiceNotActiveException",
    "default_deployment_configuration",
    "install_ecs_fixes",
    "paginate",
    "settle_services",
]

# Seconds a deleted service stays DRAINING before it becomes INACTIVE. Read at every evaluation, so tests
# and the sandbox may change it at any time (``ecs_fixes.DRAINING_TO_INACTIVE_SECONDS = 0.05``).
# Only used while the scheduler is not installed (see DRAIN_WITH_SCHEDULER).
DRAINING_TO_INACTIVE_SECONDS: float = 0.5

# Set by ``scheduler.install_scheduler()`` (which ``install_ecs_fixes()`` calls): a DRAINING service then
# becomes INACTIVE in the scheduler step that finds none of its tasks left running, as in AWS, instead of
# after DRAINING_TO_INACTIVE_SECONDS.
DRAIN_WITH_SCHEDULER: bool = False

# Hooks for a later deployment scheduler. Each is called with (backend, service) after the operation
# succeeded. SERVICE_UPDATED_HOOKS also get the update's parameters (snake_case keys, as moto parses them).
ServiceHook = Callable[[Any, Any], None]
ServiceUpdateHook = Callable[[Any, Any, dict[str, Any]], None]
SERVICE_CREATED_HOOKS: list[ServiceHook] = []
SERVICE_UPDATED_HOOKS: list[ServiceUpdateHook] = []
SERVICE_DELETED_HOOKS: list[ServiceHook] = []
# Called once per DescribeServices request with (backend, services being returned).
SERVICE_DESCRIBED_HOOKS: list[Callable[[Any, list[Any]], None]] = []

_ACTIVE = "ACTIVE"
_DRAINING = "DRAINING"
_INACTIVE = "INACTIVE"

# Private attributes we keep on moto objects. They have no counterpart in the botocore output shapes, so
# moto's serializer never emits them.
_DRAINING_SINCE = "_sandbox_draining_since"
_CLIENT_TOKEN = "_sandbox_client_token"

_PATCH_MARK = "__reconciler_sandbox_patch__"
_install_lock = threading.Lock()
_ORIGINALS: dict[tuple[type, str], Any] = {}


# --------------------------------------------------------------------------------------------------------
# Exceptions moto does not have


class ServiceNotActiveException(ECSException):
    """AWS: UpdateService/DeleteService on a service that is not ACTIVE."""

    code = "ServiceNotActiveException"
    message = "Service was not ACTIVE."


class ClusterContainsServicesException(ECSException):
    """AWS: DeleteCluster while the cluster still has ACTIVE or DRAINING services."""

    code = "ClusterContainsServicesException"
    message = "The Cluster cannot be deleted while Services are active."


class ClusterContainsContainerInstancesException(ECSException):
    """AWS: DeleteCluster while container instances are still registered."""

    code = "ClusterContainsContainerInstancesException"
    message = "The Cluster cannot be deleted while Container Instances are active."


# --------------------------------------------------------------------------------------------------------
# Patching machinery


def _patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    """Replace ``cls.name`` by ``make(original)`` unless it is already one of our patches."""
    current = cls.__dict__.get(name, getattr(cls, name, None))
    if getattr(current, _PATCH_MARK, False):
        return
    replacement = make(current)
    setattr(replacement, _PATCH_MARK, True)
    _ORIGINALS[(cls, name)] = current
    setattr(cls, name, replacement)


# --------------------------------------------------------------------------------------------------------
# Shared helpers (public ones are meant for the later scheduler as well)


def default_deployment_configuration(scheduling_strategy: str | None) -> dict[str, Any]:
    """The deploymentConfiguration AWS reports for a service created without one."""
    daemon = scheduling_strategy == "DAEMON"
    return {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 100 if daemon else 200,
        "minimumHealthyPercent": 0 if daemon else 100,
    }


def _merge_deployment_configuration(base: dict[str, Any] | None, given: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base) if base else {}
    merged.update(copy.deepcopy(given))
    return merged


def settle_services(backend: Any) -> None:
    """Evaluate time-based service transitions: DRAINING becomes INACTIVE after the drain delay.

    With the scheduler installed this does nothing: the scheduler's steps make DRAINING services INACTIVE once
    their tasks have stopped.
    """
    if DRAIN_WITH_SCHEDULER:
        return
    now = time.monotonic()
    for service in list(backend.services.values()):
        since = getattr(service, _DRAINING_SINCE, None)
        if service.status == _DRAINING and since is not None and now - since >= DRAINING_TO_INACTIVE_SECONDS:
            service.status = _INACTIVE
            service.running_count = 0
            service.pending_count = 0


def _encode_token(position: int, last_key: str) -> str:
    raw = json.dumps({"p": position, "k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    padded = token + "=" * (-len(token) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position, last_key = data["p"], data["k"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError("bad token") from exc
    if not isinstance(position, int) or not isinstance(last_key, str) or position < 0:
        raise ValueError("bad token")
    return position, last_key


def paginate(
    items: Sequence[Any],
    keys: Sequence[str],
    max_results: int | None,
    next_token: str | None,
    *,
    default_page: int,
    max_page: int,
    error: Callable[[str], Exception],
) -> tuple[list[Any], str | None]:
    """Cut one AWS-style page out of ``items`` (already in response order; ``keys`` are their unique keys).

    The token is opaque to clients. It remembers the key of the last item returned, so a page boundary
    survives items being added or removed before it; if that item is gone, the remembered position is used.
    """
    if max_results is not None and not 1 <= max_results <= max_page:
        raise error(f"maxResults must be between 1 and {max_page}.")
    size = max_results if max_results is not None else default_page
    start = 0
    if next_token:
        try:
            position, last_key = _decode_token(next_token)
        except ValueError:
            raise error("Invalid nextToken.") from None
        start = keys.index(last_key) + 1 if last_key in keys else min(position, len(items))
    end = start + size
    page = list(items[start:end])
    token = _encode_token(end, keys[end - 1]) if end < len(items) else None
    return page, token


def paged_result(
    response: Any, keys: Sequence[str], result_key: str, *, default_page: int, max_page: int
) -> ActionResult:
    """An ECS list response: one page of ``keys`` under ``result_key``, with maxResults/nextToken honoured."""
    page, token = paginate(keys, keys, response._get_param("maxResults"), response._get_param("nextToken"),
                           default_page=default_page, max_page=max_page, error=InvalidParameterException)
    return ActionResult({result_key: page, "nextToken": token})


def _task_definition_sort_key(arn: str) -> tuple[str, int]:
    family, _, revision = arn.split("/")[-1].rpartition(":")
    return family, int(revision)


# --------------------------------------------------------------------------------------------------------
# The fixes


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
            active = [number for number, td in revisions.items() if td.status == _ACTIVE]
            if not active:
                raise TaskDefinitionNotFoundException()
            return revisions[max(active)]

        return describe_task_definition

    _patch(EC2ContainerServiceBackend, "describe_task_definition", make)


def fix_register_task_definition() -> None:
    """RegisterTaskDefinition validates Fargate definitions and returns the tags.

    AWS: with requiresCompatibilities FARGATE, networkMode must be 'awsvpc' (ClientException "Fargate only
    supports network mode 'awsvpc'.") and task-level cpu and memory are required (ClientException); the
    response carries ``tags``. Stock moto silently forces awsvpc, accepts missing cpu/memory and omits
    ``tags`` from the response.
    """

    def make_backend(original: Any) -> Callable[..., Any]:
        def register_task_definition(
            self: Any, family: str, container_definitions: list[dict[str, Any]], *args: Any, **kwargs: Any
        ) -> Any:
            if args:  # moto's own callers pass everything after the definitions by keyword
                return original(self, family, container_definitions, *args, **kwargs)
            if "FARGATE" in (kwargs.get("requires_compatibilities") or []):
                if kwargs.get("network_mode") != "awsvpc":
                    raise EcsClientException("Fargate only supports network mode \u2018awsvpc\u2019.")
                for field in ("cpu", "memory"):
                    if not kwargs.get(field):
                        raise EcsClientException(
                            f"Fargate requires that '{field}' be defined at the task level."
                        )
            return original(self, family, container_definitions, **kwargs)

        return register_task_definition

    def make_response(original: Any) -> Callable[..., Any]:
        def register_task_definition(self: Any) -> ActionResult:
            result = original(self)
            payload = dict(result.result)
            payload["tags"] = list(payload["taskDefinition"].tags or [])
            return ActionResult(payload)

        return register_task_definition

    _patch(EC2ContainerServiceBackend, "register_task_definition", make_backend)
    _patch(EC2ContainerServiceResponse, "register_task_definition", make_response)


def fix_create_cluster_idempotent() -> None:
    """CreateCluster with the name of an ACTIVE cluster returns that cluster unchanged.

    AWS: the call is idempotent; tags, settings and capacity providers of the existing cluster are kept.
    Stock moto replaces the cluster with a new object built from the second call.
    """

    def make(original: Any) -> Callable[..., Any]:
        def create_cluster(self: Any, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
            existing = self.clusters.get(cluster_name)
            if existing is not None and existing.status == _ACTIVE:
                return existing
            return original(self, cluster_name, *args, **kwargs)

        return create_cluster

    _patch(EC2ContainerServiceBackend, "create_cluster", make)


def fix_delete_cluster_checks() -> None:
    """DeleteCluster refuses while the cluster still has services or container instances.

    AWS: ClusterContainsServicesException while any service is ACTIVE or DRAINING,
    ClusterContainsContainerInstancesException while container instances are registered, and
    ClusterNotFoundException for a cluster that is already INACTIVE. Stock moto marks the cluster INACTIVE
    regardless.
    """

    def make(original: Any) -> Callable[..., Any]:
        def delete_cluster(self: Any, cluster_str: str) -> Any:
            settle_services(self)
            cluster = self._get_cluster(cluster_str)
            if cluster.status != _ACTIVE:
                raise ClusterNotFoundException()
            if any(
                s.cluster_name == cluster.name and s.status in (_ACTIVE, _DRAINING)
                for s in self.services.values()
            ):
                raise ClusterContainsServicesException()
            if self.container_instances.get(cluster.name):
                raise ClusterContainsContainerInstancesException()
            return original(self, cluster_str)

        return delete_cluster

    _patch(EC2ContainerServiceBackend, "delete_cluster", make)


def fix_list_clusters() -> None:
    """ListClusters omits INACTIVE clusters and paginates (default and maximum page size 100).

    AWS: deleted clusters are not listed; maxResults/nextToken work. Stock moto lists INACTIVE clusters and
    returns everything in one page without nextToken.
    """

    def make_backend(original: Any) -> Callable[..., Any]:
        def list_clusters(self: Any) -> list[str]:
            inactive = {c.arn for c in self.clusters.values() if c.status != _ACTIVE}
            return [arn for arn in original(self) if arn not in inactive]

        return list_clusters

    def make_response(_original: Any) -> Callable[..., Any]:
        def list_clusters(self: Any) -> ActionResult:
            arns = self.ecs_backend.list_clusters()
            return paged_result(self, arns, "clusterArns", default_page=100, max_page=100)

        return list_clusters

    _patch(EC2ContainerServiceBackend, "list_clusters", make_backend)
    _patch(EC2ContainerServiceResponse, "list_clusters", make_response)


def fix_list_task_definitions() -> None:
    """ListTaskDefinitions honours ``sort`` and paginates (default and maximum page size 100).

    AWS: results are ordered by family, then revision; ``sort=DESC`` reverses both; ``status`` filters;
    maxResults/nextToken work. Stock moto ignores ``sort`` and ``maxResults`` and returns one page.
    """

    def make(_original: Any) -> Callable[..., Any]:
        def list_task_definitions(self: Any) -> ActionResult:
            arns = self.ecs_backend.list_task_definitions(
                self._get_param("familyPrefix"), self._get_param("status") or _ACTIVE
            )
            descending = (self._get_param("sort") or "ASC") == "DESC"
            arns = sorted(arns, key=_task_definition_sort_key, reverse=descending)
            return paged_result(self, arns, "taskDefinitionArns", default_page=100, max_page=100)

        return list_task_definitions

    _patch(EC2ContainerServiceResponse, "list_task_definitions", make)


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
                has_active = any(td.status == _ACTIVE for td in revisions.values())
                if status == _ACTIVE and not has_active:
                    continue
                if status == _INACTIVE and has_active:
                    continue
                families.append(family)
            return paged_result(self, families, "families", default_page=100, max_page=100)

        return list_task_definition_families

    _patch(EC2ContainerServiceResponse, "list_task_definition_families", make)


def fix_list_services() -> None:
    """ListServices omits INACTIVE services and paginates (default page size 10, maximum 100).

    AWS: deleted (INACTIVE) services are not listed, DRAINING ones are; maxResults/nextToken work. Stock
    moto lists INACTIVE services and returns everything in one page.
    """

    def make_backend(original: Any) -> Callable[..., Any]:
        def list_services(self: Any, cluster_str: str, *args: Any, **kwargs: Any) -> list[str]:
            settle_services(self)
            arns: list[str] = original(self, cluster_str, *args, **kwargs)
            inactive = {s.arn for s in self.services.values() if s.status == _INACTIVE}
            return [arn for arn in arns if arn not in inactive]

        return list_services

    def make_response(_original: Any) -> Callable[..., Any]:
        def list_services(self: Any) -> ActionResult:
            arns = self.ecs_backend.list_services(
                self._get_param("cluster", "default"),
                self._get_param("schedulingStrategy"),
                launch_type=self._get_param("launchType"),
            )
            return paged_result(self, arns, "serviceArns", default_page=10, max_page=100)

        return list_services

    _patch(EC2ContainerServiceBackend, "list_services", make_backend)
    _patch(EC2ContainerServiceResponse, "list_services", make_response)


def fix_describe_services() -> None:
    """DescribeServices accepts at most 10 services and reports DRAINING services as INACTIVE once drained.

    AWS: more than 10 names is an InvalidParameterException. Stock moto accepts any number. (The
    DRAINING to INACTIVE transition itself is ``fix_delete_service_draining``; this fix evaluates it.)
    """

    def make(original: Any) -> Callable[..., Any]:
        def describe_services(self: Any, cluster_str: str, service_names_or_arns: list[str]) -> Any:
            if len(service_names_or_arns or []) > 10:
                raise InvalidParameterException("services can have at most 10 items.")
            settle_services(self)
            services, failures = original(self, cluster_str, service_names_or_arns)
            for hook in list(SERVICE_DESCRIBED_HOOKS):
                hook(self, services)
            return services, failures

        return describe_services

    def make_get(original: Any) -> Callable[..., Any]:
        def _get_service(self: Any, cluster_str: str, service_str: str) -> Any:
            settle_services(self)
            return original(self, cluster_str, service_str)

        return _get_service

    _patch(EC2ContainerServiceBackend, "describe_services", make)
    _patch(EC2ContainerServiceBackend, "_get_service", make_get)


def apply_service_create_fields(
    backend: Any,
    service: Any,
    *,
    deployment_configuration: dict[str, Any] | None,
    capacity_provider_strategy: list[dict[str, Any]] | None,
    enable_execute_command: bool | None,
    health_check_grace_period_seconds: int | None,
    placement_constraints: list[dict[str, Any]] | None,
    placement_strategy: list[dict[str, Any]] | None,
    enable_ecs_managed_tags: bool | None,
    availability_zone_rebalancing: str | None,
    client_token: str | None,
) -> None:
    """Store on a freshly created moto ``Service`` the CreateService fields stock moto drops."""
    service.deployment_configuration = _merge_deployment_configuration(
        default_deployment_configuration(service.scheduling_strategy), deployment_configuration or {}
    )
    if capacity_provider_strategy:
        service.capacity_provider_strategy = copy.deepcopy(capacity_provider_strategy)
        service.launch_type = None
        for deployment in service.deployments:
            deployment["launchType"] = None
            deployment["capacityProviderStrategy"] = copy.deepcopy(capacity_provider_strategy)
    service.enable_execute_command = bool(enable_execute_command)
    if health_check_grace_period_seconds is not None:
        service.health_check_grace_period_seconds = health_check_grace_period_seconds
    service.placement_constraints = copy.deepcopy(placement_constraints or [])
    service.placement_strategy = copy.deepcopy(placement_strategy or [])
    service.enable_ecs_managed_tags = bool(enable_ecs_managed_tags)
    if availability_zone_rebalancing is not None:
        service.availability_zone_rebalancing = availability_zone_rebalancing
    setattr(service, _CLIENT_TOKEN, client_token)


def fix_create_service() -> None:
    """CreateService behaves like AWS: persisted fields, idempotency, cluster and network checks.

    AWS:
    * stores and reports deploymentConfiguration (defaults maximumPercent 200 / minimumHealthyPercent 100,
      or 100 / 0 for DAEMON, and a disabled circuit breaker), capacityProviderStrategy (then no launchType;
      with neither given, the cluster's default strategy is used), enableExecuteCommand (false),
      healthCheckGracePeriodSeconds (when given), placementConstraints/placementStrategy ([]),
      enableECSManagedTags (false) and availabilityZoneRebalancing (when given);
    * a second CreateService for a name that is ACTIVE or DRAINING in the cluster raises
      InvalidParameterException "Creation of service was not idempotent." unless it is a retry carrying the
      same clientToken, which returns the existing service;
    * an INACTIVE or missing cluster raises ClusterNotFoundException;
    * launchType FARGATE or an awsvpc task definition without networkConfiguration raises
      InvalidParameterException.
    Stock moto drops all those fields (reporting launchType EC2 for capacity-provider services), silently
    replaces an existing service, and accepts INACTIVE clusters and missing network configuration.
    """

    def make_backend(original: Any) -> Callable[..., Any]:
        def create_service(
            self: Any,
            cluster_str: str,
            service_name: str,
            desired_count: int,
            task_definition_str: str | None = None,
            load_balancers: list[dict[str, Any]] | None = None,
            scheduling_strategy: Any = None,
            tags: list[dict[str, str]] | None = None,
            deployment_controller: dict[str, str] | None = None,
            launch_type: str | None = None,
            service_registries: list[dict[str, Any]] | None = None,
            platform_version: str | None = None,
            propagate_tags: str = "NONE",
            network_configuration: dict[str, Any] | None = None,
            role_arn: str | None = None,
            *,
            deployment_configuration: dict[str, Any] | None = None,
            capacity_provider_strategy: list[dict[str, Any]] | None = None,
            enable_execute_command: bool | None = None,
            health_check_grace_period_seconds: int | None = None,
            placement_constraints: list[dict[str, Any]] | None = None,
            placement_strategy: list[dict[str, Any]] | None = None,
            enable_ecs_managed_tags: bool | None = None,
            availability_zone_rebalancing: str | None = None,
            client_token: str | None = None,
        ) -> Any:
            settle_services(self)
            cluster = self._get_cluster(cluster_str)
            if cluster.status != _ACTIVE:
                raise ClusterNotFoundException()

            existing = self.services.get(f"{cluster.name}:{service_name}")
            if existing is not None and existing.status in (_ACTIVE, _DRAINING):
                if (
                    client_token
                    and existing.status == _ACTIVE
                    and getattr(existing, _CLIENT_TOKEN, None) == client_token
                ):
                    return existing
                raise InvalidParameterException("Creation of service was not idempotent.")

            cluster_default = cluster.default_capacity_provider_strategy
            if not launch_type and not capacity_provider_strategy and cluster_default:
                capacity_provider_strategy = copy.deepcopy(cluster_default)

            task_definition = None
            if task_definition_str:
                task_definition = self.describe_task_definition(task_definition_str)
            needs_awsvpc = launch_type == "FARGATE" or (
                task_definition is not None and task_definition.network_mode == "awsvpc"
            )
            if needs_awsvpc and not network_configuration:
                raise InvalidParameterException(
                    "Network Configuration must be provided when networkMode 'awsvpc' is specified."
                )

            service = original(
                self,
                cluster_str,
                service_name,
                desired_count,
                # The resolved ARN, so moto's own lookup cannot pick a different revision.
                task_definition.arn if task_definition is not None else None,
                load_balancers,
                scheduling_strategy,
                tags,
                deployment_controller,
                launch_type,
                service_registries=service_registries,
                platform_version=platform_version,
                propagate_tags=propagate_tags,
                network_configuration=network_configuration,
                role_arn=role_arn,
            )
            apply_service_create_fields(
                self,
                service,
                deployment_configuration=deployment_configuration,
                capacity_provider_strategy=capacity_provider_strategy,
                enable_execute_command=enable_execute_command,
                health_check_grace_period_seconds=health_check_grace_period_seconds,
                placement_constraints=placement_constraints,
                placement_strategy=placement_strategy,
                enable_ecs_managed_tags=enable_ecs_managed_tags,
                availability_zone_rebalancing=availability_zone_rebalancing,
                client_token=client_token,
            )
            for hook in list(SERVICE_CREATED_HOOKS):
                hook(self, service)
            return service

        return create_service

    def make_response(_original: Any) -> Callable[..., Any]:
        def create_service(self: Any) -> ActionResult:
            param = self._get_param
            service = self.ecs_backend.create_service(
                param("cluster", "default"),
                param("serviceName"),
                self._get_int_param("desiredCount"),
                param("taskDefinition"),
                param("loadBalancers"),
                param("schedulingStrategy"),
                param("tags"),
                param("deploymentController"),
                param("launchType"),
                service_registries=param("serviceRegistries"),
                platform_version=param("platformVersion"),
                propagate_tags=param("propagateTags") or "NONE",
                network_configuration=param("networkConfiguration"),
                role_arn=param("role"),
                deployment_configuration=param("deploymentConfiguration"),
                capacity_provider_strategy=param("capacityProviderStrategy"),
                enable_execute_command=param("enableExecuteCommand"),
                health_check_grace_period_seconds=param("healthCheckGracePeriodSeconds"),
                placement_constraints=param("placementConstraints"),
                placement_strategy=param("placementStrategy"),
                enable_ecs_managed_tags=param("enableECSManagedTags"),
                availability_zone_rebalancing=param("availabilityZoneRebalancing"),
                client_token=param("clientToken"),
            )
            return ActionResult({"service": service})

        return create_service

    _patch(EC2ContainerServiceBackend, "create_service", make_backend)
    _patch(EC2ContainerServiceResponse, "create_service", make_response)


def fix_update_service() -> None:
    """UpdateService: only ACTIVE services, resolved task-definition ARN, merged deploymentConfiguration.

    AWS: a DRAINING or INACTIVE service raises ServiceNotActiveException; ``taskDefinition`` given as
    "family" or "family:N" is stored (and reported) as the full ARN of the resolved revision; a partial
    ``deploymentConfiguration`` changes only the members it names. Stock moto updates deleted services,
    stores the task-definition string verbatim and replaces deploymentConfiguration wholesale.
    """

    def make(original: Any) -> Callable[..., Any]:
        def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
            props = dict(service_properties)
            cluster_str = props.get("cluster") or "default"
            service_name = str(props["service"]).split("/")[-1]
            service = self._get_service(cluster_str, service_name)  # settles DRAINING services
            if service.status != _ACTIVE:
                raise ServiceNotActiveException()

            task_definition_str = props.get("task_definition")
            resolved = self.describe_task_definition(task_definition_str).arn if task_definition_str else None
            if resolved is not None:
                props["task_definition"] = resolved

            given_config = props.get("deployment_configuration")
            if given_config is not None:
                current = getattr(service, "deployment_configuration", None)
                if not current:
                    current = default_deployment_configuration(service.scheduling_strategy)
                props["deployment_configuration"] = _merge_deployment_configuration(current, given_config)

            result = original(self, dict(props))
            if resolved is not None:
                result.task_definition = resolved
            for hook in list(SERVICE_UPDATED_HOOKS):
                hook(self, result, props)
            return result

        return update_service

    _patch(EC2ContainerServiceBackend, "update_service", make)


def fix_delete_service_draining() -> None:
    """DeleteService moves the service to DRAINING; it becomes INACTIVE a little later.

    AWS: the service is DRAINING (desiredCount 0) while its tasks stop, then INACTIVE. INACTIVE services
    are still describable but not listed, and the name can be reused. Deleting or updating a service that
    is not ACTIVE raises ServiceNotActiveException. Stock moto goes to INACTIVE at once and lets a deleted
    service be deleted again. Here the delay is ``DRAINING_TO_INACTIVE_SECONDS``, evaluated lazily on read
    by ``settle_services`` (no background thread).
    """

    def make(original: Any) -> Callable[..., Any]:
        def delete_service(self: Any, cluster_name: str, service_name: str, force: bool) -> Any:
            service = self._get_service(cluster_name, service_name)  # settles DRAINING services
            if service.status != _ACTIVE:
                raise ServiceNotActiveException()
            result = original(self, cluster_name, service_name, force)
            result.status = _DRAINING
            result.desired_count = 0
            setattr(result, _DRAINING_SINCE, time.monotonic())
            for hook in list(SERVICE_DELETED_HOOKS):
                hook(self, result)
            return result

        return delete_service

    _patch(EC2ContainerServiceBackend, "delete_service", make)


def fix_network_configuration_without_security_groups() -> None:
    """An awsvpcConfiguration without ``securityGroups`` is valid.

    AWS: securityGroups is optional (the VPC's default security group is used). Stock moto's CreateService
    and RunTask crash with KeyError 'securityGroups' (a 500 over HTTP). CreateService stores the
    configuration as sent; RunTask's task gets an ENI without security groups.
    """

    def make(original: Any) -> Callable[..., Any]:
        def _validate_network(self: Any, nc: dict[str, Any]) -> Any:
            awsvpc = nc.get("awsvpcConfiguration")
            if isinstance(awsvpc, dict) and "securityGroups" not in awsvpc:
                original(self, {**nc, "awsvpcConfiguration": {**awsvpc, "securityGroups": []}})
                return nc
            return original(self, nc)

        return _validate_network

    def make_run_task(original: Any) -> Callable[..., Any]:
        def run_task(self: Any, *args: Any, **kwargs: Any) -> Any:
            position = 7  # networking_configuration in moto's run_task(cluster_str, task_definition_str, ...)
            if len(args) > position:
                args = (*args[:position], _with_security_groups(args[position]), *args[position + 1 :])
            elif "networking_configuration" in kwargs:
                kwargs["networking_configuration"] = _with_security_groups(kwargs["networking_configuration"])
            return original(self, *args, **kwargs)

        return run_task

    _patch(Service, "_validate_network", make)
    _patch(EC2ContainerServiceBackend, "run_task", make_run_task)


def _with_security_groups(nc: Any) -> Any:
    awsvpc = nc.get("awsvpcConfiguration") if isinstance(nc, dict) else None
    if isinstance(awsvpc, dict) and "securityGroups" not in awsvpc:
        return {**nc, "awsvpcConfiguration": {**awsvpc, "securityGroups": []}}
    return nc


def fix_ecr_describe_repositories() -> None:
    """ECR DescribeRepositories paginates (default page size 100, maximum 1000).

    AWS: maxResults/nextToken work when no repositoryNames are given (with names, AWS does not paginate).
    Stock moto ignores maxResults and returns every repository in one page.
    """

    def make(_original: Any) -> Callable[..., Any]:
        def describe_repositories(self: Any) -> ActionResult:
            names = self._get_param("repositoryNames")
            repositories = self.ecr_backend.describe_repositories(
                repository_names=names, registry_id=self._get_param("registryId")
            )
            token = None
            if not names:
                repositories, token = paginate(
                    repositories,
                    [repo.name for repo in repositories],
                    self._get_param("maxResults"),
                    self._get_param("nextToken"),
                    default_page=100,
                    max_page=1000,
                    error=EcrInvalidParameterException,
                )
            return ActionResult({"repositories": repositories, "nextToken": token})

        return describe_repositories

    _patch(ECRResponse, "describe_repositories", make)


_FIXES: tuple[Callable[[], None], ...] = (
    fix_task_definition_family_resolution,
    fix_register_task_definition,
    fix_create_cluster_idempotent,
    fix_delete_cluster_checks,
    fix_list_clusters,
    fix_list_task_definitions,
    fix_list_task_definition_families,
    fix_list_services,
    fix_describe_services,
    fix_create_service,
    fix_update_service,
    fix_delete_service_draining,
    fix_network_configuration_without_security_groups,
    fix_ecr_describe_repositories,
)


def install_ecs_fixes() -> None:
    """Apply every fix to moto's classes, process-wide, and install the scheduler (``scheduler.py``) and the
    DynamoDB fixes (``dynamodb_fixes.py``: the lock table's conditional writes must be atomic).

    Safe to call any number of times.
    """
    from reconciler.sandbox.dynamodb_fixes import install_dynamodb_fixes
    from reconciler.sandbox.reporting import install_reporting  # values in the form AWS reports them
    from reconciler.sandbox.scheduler import install_scheduler  # it builds on this module's hooks

    with _install_lock:
        for fix in _FIXES:
            fix()
        install_scheduler()
        install_dynamodb_fixes()
        install_reporting()
