"""Clusters behave like ECS: CreateCluster is idempotent, DeleteCluster checks, ListClusters pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ClusterNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from reconciler.sandbox.ecs.common import ACTIVE, DRAINING, paged_result, patch
from reconciler.sandbox.ecs.errors import ClusterContainsContainerInstancesException, ClusterContainsServicesException
from reconciler.sandbox.ecs.services import settle_services

__all__ = ["FIXES"]


def fix_create_cluster_idempotent() -> None:
    """CreateCluster with the name of an ACTIVE cluster returns that cluster unchanged.

    AWS: the call is idempotent; tags, settings and capacity providers of the existing cluster are kept.
    Stock moto replaces the cluster with a new object built from the second call.
    """

    def make(original: Any) -> Callable[..., Any]:
        def create_cluster(self: Any, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
            existing = self.clusters.get(cluster_name)
            if existing is not None and existing.status == ACTIVE:
                return existing
            return original(self, cluster_name, *args, **kwargs)

        return create_cluster

    patch(EC2ContainerServiceBackend, "create_cluster", make)


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
            if cluster.status != ACTIVE:
                raise ClusterNotFoundException()
            if any(
                s.cluster_name == cluster.name and s.status in (ACTIVE, DRAINING)
                for s in self.services.values()
            ):
                raise ClusterContainsServicesException()
            if self.container_instances.get(cluster.name):
                raise ClusterContainsContainerInstancesException()
            return original(self, cluster_str)

        return delete_cluster

    patch(EC2ContainerServiceBackend, "delete_cluster", make)


def fix_list_clusters() -> None:
    """ListClusters omits INACTIVE clusters and paginates (default and maximum page size 100).

    AWS: deleted clusters are not listed; maxResults/nextToken work. Stock moto lists INACTIVE clusters and
    returns everything in one page without nextToken.
    """

    def make_backend(original: Any) -> Callable[..., Any]:
        def list_clusters(self: Any) -> list[str]:
            inactive = {c.arn for c in self.clusters.values() if c.status != ACTIVE}
            return [arn for arn in original(self) if arn not in inactive]

        return list_clusters

    def make_response(_original: Any) -> Callable[..., Any]:
        def list_clusters(self: Any) -> ActionResult:
            arns = self.ecs_backend.list_clusters()
            return paged_result(self, arns, "clusterArns", default_page=100, max_page=100)

        return list_clusters

    patch(EC2ContainerServiceBackend, "list_clusters", make_backend)
    patch(EC2ContainerServiceResponse, "list_clusters", make_response)


FIXES: tuple[Callable[[], None], ...] = (
    fix_create_cluster_idempotent,
    fix_delete_cluster_checks,
    fix_list_clusters,
)
