"""Services behave like ECS: fields kept, idempotency, DRAINING then INACTIVE, paged lists.

After each successful CreateService, UpdateService and DeleteService the scheduler is told through
``sandbox.events`` (it never patches these calls itself). What CreateService and UpdateService refuse is in
``service_rules`` (checked on the request as sent).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ClusterNotFoundException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox import events
from reconciler.sandbox.defaults import default_deployment_configuration, with_security_groups
from reconciler.sandbox.ecs.common import ACTIVE, DRAINING, INACTIVE, paged_result, patch
from reconciler.sandbox.ecs.errors import ServiceNotActiveException

__all__ = ["DRAINING_TO_INACTIVE_SECONDS", "FIXES", "settle_services"]

# Seconds a deleted service stays DRAINING before it becomes INACTIVE when no scheduler drains it (see
# ``events.Listener.drains_services``). Read at every evaluation, so it may be changed at any time.
DRAINING_TO_INACTIVE_SECONDS: float = 0.5

# Private attributes kept on moto objects. They have no counterpart in the botocore output shapes, so moto's
# serializer never emits them.
_DRAINING_SINCE = "_sandbox_draining_since"
_CLIENT_TOKEN = "_sandbox_client_token"


def _merge_deployment_configuration(base: dict[str, Any] | None, given: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base) if base else {}
    merged.update(copy.deepcopy(given))
    return merged


def settle_services(backend: Any) -> None:
    """Evaluate time-based service transitions: DRAINING becomes INACTIVE after the drain delay.

    With a scheduler attached this does nothing: its steps make DRAINING services INACTIVE once their tasks
    have stopped.
    """
    if events.listener().drains_services:
        return
    now = time.monotonic()
    for service in list(backend.services.values()):
        since = getattr(service, _DRAINING_SINCE, None)
        if service.status == DRAINING and since is not None and now - since >= DRAINING_TO_INACTIVE_SECONDS:
            service.status = INACTIVE
            service.running_count = 0
            service.pending_count = 0


def fix_list_services() -> None:
    """ListServices omits INACTIVE services and paginates (default page size 10, maximum 100).

    AWS: deleted (INACTIVE) services are not listed, DRAINING ones are; maxResults/nextToken work. Stock
    moto lists INACTIVE services and returns everything in one page.
    """

    def make_backend(original: Any) -> Callable[..., Any]:
        def list_services(self: Any, cluster_str: str, *args: Any, **kwargs: Any) -> list[str]:
            settle_services(self)
            arns: list[str] = original(self, cluster_str, *args, **kwargs)
            inactive = {s.arn for s in self.services.values() if s.status == INACTIVE}
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

    patch(EC2ContainerServiceBackend, "list_services", make_backend)
    patch(EC2ContainerServiceResponse, "list_services", make_response)


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
            return original(self, cluster_str, service_names_or_arns)

        return describe_services

    def make_get(original: Any) -> Callable[..., Any]:
        def _get_service(self: Any, cluster_str: str, service_str: str) -> Any:
            settle_services(self)
            return original(self, cluster_str, service_str)

        return _get_service

    patch(EC2ContainerServiceBackend, "describe_services", make)
    patch(EC2ContainerServiceBackend, "_get_service", make_get)


def _store_create_fields(
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
            if cluster.status != ACTIVE:
                raise ClusterNotFoundException()

            existing = self.services.get(f"{cluster.name}:{service_name}")
            if existing is not None and existing.status in (ACTIVE, DRAINING):
                if (
                    client_token
                    and existing.status == ACTIVE
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
            _store_create_fields(
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
            events.listener().service_created(self, service)
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

    patch(EC2ContainerServiceBackend, "create_service", make_backend)
    patch(EC2ContainerServiceResponse, "create_service", make_response)


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
            if service.status != ACTIVE:
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
            events.listener().service_updated(self, result, props)
            return result

        return update_service

    patch(EC2ContainerServiceBackend, "update_service", make)


def fix_delete_service_draining() -> None:
    """DeleteService moves the service to DRAINING; it becomes INACTIVE a little later.

    AWS: the service is DRAINING (desiredCount 0) while its tasks stop, then INACTIVE. INACTIVE services
    are still describable but not listed, and the name can be reused. Deleting or updating a service that
    is not ACTIVE raises ServiceNotActiveException. Stock moto goes to INACTIVE at once and lets a deleted
    service be deleted again. Without a scheduler the delay is ``DRAINING_TO_INACTIVE_SECONDS``, evaluated
    lazily on read by ``settle_services`` (no background thread).
    """

    def make(original: Any) -> Callable[..., Any]:
        def delete_service(self: Any, cluster_name: str, service_name: str, force: bool) -> Any:
            service = self._get_service(cluster_name, service_name)  # settles DRAINING services
            if service.status != ACTIVE:
                raise ServiceNotActiveException()
            result = original(self, cluster_name, service_name, force)
            result.status = DRAINING
            result.desired_count = 0
            setattr(result, _DRAINING_SINCE, time.monotonic())
            events.listener().service_deleted(self, result)
            return result

        return delete_service

    patch(EC2ContainerServiceBackend, "delete_service", make)


def fix_network_configuration_without_security_groups() -> None:
    """An awsvpcConfiguration without ``securityGroups`` is valid.

    AWS: securityGroups is optional (the VPC's default security group is used). Stock moto's CreateService
    and RunTask crash with KeyError 'securityGroups' (a 500 over HTTP). CreateService stores the
    configuration as sent; RunTask's task gets an ENI without security groups.
    """

    def make(original: Any) -> Callable[..., Any]:
        def _validate_network(self: Any, nc: dict[str, Any]) -> Any:
            completed = with_security_groups(nc)
            if completed is not nc:
                original(self, completed)
                return nc
            return original(self, nc)

        return _validate_network

    def make_run_task(original: Any) -> Callable[..., Any]:
        def run_task(self: Any, *args: Any, **kwargs: Any) -> Any:
            position = 7  # networking_configuration in moto's run_task(cluster_str, task_definition_str, ...)
            if len(args) > position:
                args = (*args[:position], with_security_groups(args[position]), *args[position + 1 :])
            elif "networking_configuration" in kwargs:
                kwargs["networking_configuration"] = with_security_groups(kwargs["networking_configuration"])
            return original(self, *args, **kwargs)

        return run_task

    patch(Service, "_validate_network", make)
    patch(EC2ContainerServiceBackend, "run_task", make_run_task)


FIXES: tuple[Callable[[], None], ...] = (
    fix_list_services,
    fix_describe_services,
    fix_create_service,
    fix_update_service,
    fix_delete_service_draining,
    fix_network_configuration_without_security_groups,
)
