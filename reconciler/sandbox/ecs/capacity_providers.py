"""Capacity providers and container instances behave like ECS.

* CreateCapacityProvider: a second provider of the same name is refused (stock moto replaces the first); the Auto
  Scaling group is named by name or ARN and must exist (ECS reports its ARN); managed termination protection needs
  the group's scale-in protection (ECS's own message).
* DescribeCapacityProviders without names lists every provider, in pages (stock moto: a server error).
* DeleteCapacityProvider refuses a provider an ACTIVE cluster still has, and an unknown one (stock moto: deletes
  anyway, or a server error); UpdateCapacityProvider refuses an unknown one.
* Deleting takes time, as in ECS: the provider stays ACTIVE with updateStatus DELETE_IN_PROGRESS for
  `DELETE_STEPS` scheduler steps (a second delete meanwhile is refused), then is INACTIVE with DELETE_COMPLETE:
  still described by name, no longer listed or usable (stock moto: gone at once).
* CreateCluster and PutClusterCapacityProviders refuse capacity providers that do not exist (FARGATE and
  FARGATE_SPOT always exist).
* DeregisterContainerInstance lowers the cluster's registeredContainerInstancesCount and refuses an unknown
  container instance (stock moto: never lowers it; a server error).

Messages are ECS's where a real response was found (the termination protection one: terraform-provider-aws issues);
the others are marked "(no public sample)".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import EcsClientException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox import events, patching
from reconciler.sandbox.ecs.common import ACTIVE
from reconciler.sandbox.ecs.errors import ResourceInUseException
from reconciler.sandbox.pagination import paginate

__all__ = ["FIXES", "find_group"]

BUILT_IN = ("FARGATE", "FARGATE_SPOT")
PROTECTION_MESSAGE = (
    "The managed termination protection setting for the capacity provider is invalid. To enable managed termination "
    "protection for a capacity provider, the Auto Scaling group must have instance protection from scale in enabled."
)


_OWNER = "ecs-capacity"  # (its own owner: CreateCluster is patched by the cluster fixes too)
DELETE_STEPS = 3  # scheduler steps a capacity provider spends DELETE_IN_PROGRESS
_DELETING = "_sandbox_deleting_until"  # (on a provider: time.monotonic() its deletion completes)
_INACTIVE = "_sandbox_inactive_providers"  # (on the backend: name -> the deleted provider, still described by name)


def _settle(backend: Any) -> None:
    """Providers whose deletion time has come are INACTIVE (DELETE_COMPLETE): out of the backend's providers."""
    now = time.monotonic()
    for name, provider in list(backend.capacity_providers.items()):
        until = getattr(provider, _DELETING, None)
        if until is not None and now >= until:
            backend.capacity_providers.pop(name)
            provider.status, provider.update_status = "INACTIVE", "DELETE_COMPLETE"
            inactive: dict[str, Any] = getattr(backend, _INACTIVE, {})
            inactive[name] = provider
            setattr(backend, _INACTIVE, inactive)


def patch(cls: type, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    patching.patch(cls, name, make, owner=_OWNER)


def find_group(backend: Any, ref: str) -> Any:
    """The Auto Scaling group (moto's) a capacity provider names by name or ARN, or None."""
    from moto.autoscaling.models import autoscaling_backends

    groups = autoscaling_backends[backend.account_id][backend.region_name].autoscaling_groups
    name = ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref
    group = groups.get(name)
    return group if group is not None and (not ref.startswith("arn:") or group.arn == ref) else None


def fix_create_capacity_provider() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def create_capacity_provider(self: Any, name: str, asg_details: dict[str, Any], tags: Any) -> Any:
            if self._get_provider(name) is not None:
                raise EcsClientException(f"A capacity provider with the name {name} already exists. "
                                         "(no public sample)")
            details = dict(asg_details or {})
            ref = str(details.get("autoScalingGroupArn") or "")
            group = find_group(self, ref)
            if group is None:
                raise EcsClientException(f"The specified Auto Scaling group {ref} could not be found. "
                                         "(no public sample)")
            if details.get("managedTerminationProtection") == "ENABLED" and \
                    not group.new_instances_protected_from_scale_in:
                raise EcsClientException(PROTECTION_MESSAGE)
            details["autoScalingGroupArn"] = group.arn  # reported as the group's ARN, whichever was given
            details.setdefault("managedDraining", "ENABLED")
            return original(self, name, details, tags)

        return create_capacity_provider

    patch(EC2ContainerServiceBackend, "create_capacity_provider", make)


def fix_describe_capacity_providers() -> None:
    def make(_original: Any) -> Callable[..., Any]:
        def describe_capacity_providers(self: Any) -> ActionResult:
            backend = self.ecs_backend
            names = self._get_param("capacityProviders")
            _settle(backend)
            if names:
                providers, failures = backend.describe_capacity_providers(names)
                inactive = getattr(backend, _INACTIVE, {})
                named = [(f, str(f.arn).rsplit("/", 1)[-1]) for f in failures]
                gone = [inactive[name] for _, name in named if name in inactive]
                failures = [f for f, name in named if name not in inactive]
                return ActionResult({"capacityProviders": [*providers, *gone], "failures": failures})
            every = list(backend.capacity_providers.values())
            page, token = paginate(every, [p.name for p in every], self._get_param("maxResults"),
                                   self._get_param("nextToken"), default_page=10, max_page=10,
                                   error=InvalidParameterException)
            return ActionResult({"capacityProviders": page, "failures": [], "nextToken": token})

        return describe_capacity_providers

    patch(EC2ContainerServiceResponse, "describe_capacity_providers", make)


def _in_use(backend: Any, provider: Any) -> bool:
    return any(c.status == ACTIVE and provider.name in (c.capacity_providers or []) for c in backend.clusters.values())


def fix_delete_and_update() -> None:
    def make_delete(original: Any) -> Callable[..., Any]:
        def delete_capacity_provider(self: Any, name_or_arn: str) -> Any:
            _settle(self)
            provider = self._get_provider(name_or_arn)
            if provider is None:
                raise EcsClientException("The specified capacity provider does not exist. (no public sample)")
            if getattr(provider, _DELETING, None) is not None:
                raise EcsClientException("The specified capacity provider is already being deleted. "
                                         "(no public sample)")
            if _in_use(self, provider):
                raise ResourceInUseException("The specified capacity provider is in use and cannot be removed.")
            setattr(provider, _DELETING, time.monotonic() + DELETE_STEPS * events.listener().step_seconds())
            provider.update_status = "DELETE_IN_PROGRESS"
            return provider

        return delete_capacity_provider

    def make_update(original: Any) -> Callable[..., Any]:
        def update_capacity_provider(self: Any, name_or_arn: str, asg_provider: dict[str, Any]) -> Any:
            provider = self._get_provider(name_or_arn)
            if provider is None:
                raise EcsClientException("The specified capacity provider does not exist. (no public sample)")
            group = find_group(self, str(provider.auto_scaling_group_provider.get("autoScalingGroupArn", "")))
            if (asg_provider or {}).get("managedTerminationProtection") == "ENABLED" and group is not None and \
                    not group.new_instances_protected_from_scale_in:
                raise EcsClientException(PROTECTION_MESSAGE)
            return original(self, name_or_arn, asg_provider)

        return update_capacity_provider

    patch(EC2ContainerServiceBackend, "delete_capacity_provider", make_delete)
    patch(EC2ContainerServiceBackend, "update_capacity_provider", make_update)


def _check_known(backend: Any, names: list[str] | None) -> None:
    for name in names or []:
        if name not in BUILT_IN and backend._get_provider(name) is None:
            raise InvalidParameterException(f"The specified capacity provider {name} does not exist. "
                                            "(no public sample)")


def fix_cluster_capacity_providers() -> None:
    def make_create(original: Any) -> Callable[..., Any]:
        def create_cluster(self: Any, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
            existing = self.clusters.get(cluster_name)
            if existing is None or existing.status != ACTIVE:  # (an existing one is returned unchanged)
                providers = kwargs.get("capacity_providers", args[3] if len(args) > 3 else None)
                _check_known(self, providers)
            return original(self, cluster_name, *args, **kwargs)

        return create_cluster

    def make_put(original: Any) -> Callable[..., Any]:
        def put_cluster_capacity_providers(self: Any, cluster_name: str, capacity_providers: list[str] | None,
                                           default_capacity_provider_strategy: Any) -> Any:
            _check_known(self, capacity_providers)
            return original(self, cluster_name, capacity_providers, default_capacity_provider_strategy)

        return put_cluster_capacity_providers

    patch(EC2ContainerServiceBackend, "create_cluster", make_create)
    patch(EC2ContainerServiceBackend, "put_cluster_capacity_providers", make_put)


def fix_deregister_container_instance() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def deregister_container_instance(self: Any, cluster_str: str, container_instance_str: str,
                                          force: bool) -> Any:
            cluster = self._get_cluster(cluster_str)
            instance_id = container_instance_str.split("/")[-1]
            if instance_id not in self.container_instances.get(cluster.name, {}):
                raise InvalidParameterException("Container instance not found. (no public sample)")
            found = original(self, cluster_str, container_instance_str, force)
            cluster.registered_container_instances_count = max(0, cluster.registered_container_instances_count - 1)
            found.status = "INACTIVE"
            return found

        return deregister_container_instance

    patch(EC2ContainerServiceBackend, "deregister_container_instance", make)


FIXES: tuple[Callable[[], None], ...] = (
    fix_create_capacity_provider,
    fix_describe_capacity_providers,
    fix_delete_and_update,
    fix_cluster_capacity_providers,
    fix_deregister_container_instance,
)
