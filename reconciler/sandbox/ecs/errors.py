"""ECS errors moto does not have, with the codes and messages ECS uses."""

from __future__ import annotations

from moto.ecs.exceptions import ECSException

__all__ = [
    "ClusterContainsContainerInstancesException",
    "ClusterContainsServicesException",
    "ResourceInUseException",
    "SerializationException",
    "ServiceNotActiveException",
]


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


class SerializationException(ECSException):
    """AWS JSON services: the request does not fit the API's types (e.g. a number beyond 32 bits where the
    API has an Integer). ECS answers it before any validation, with no message."""

    code = "SerializationException"
    message = ""


class ResourceInUseException(ECSException):
    """AWS: a resource that is in use cannot be removed (e.g. DeleteCapacityProvider while a cluster has it)."""

    code = "ResourceInUseException"
    message = "The specified resource is in-use and can't be removed."
