"""Thin, typed ECS calls. Reads batch and paginate as AWS requires (the sandbox enforces the same
limits); writes return what AWS returned. No decisions are made here."""

from __future__ import annotations

from typing import Any

from reconciler.aws.errors import all_pages, call
from reconciler.errors import AwsError, NotFoundError

DESCRIBE_SERVICES_BATCH = 10  # AWS rejects more than 10 names per DescribeServices call
DESCRIBE_CLUSTERS_BATCH = 100
LIST_PAGE = 100  # the most ListTaskDefinitions returns per page


class EcsApi:
    def __init__(self, client: Any) -> None:
        self.client = client

    # --- clusters -------------------------------------------------------------------------------
    def describe_clusters(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """ACTIVE (and PROVISIONING) clusters by name; deleted (INACTIVE) ones count as absent."""
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(names), DESCRIBE_CLUSTERS_BATCH):
            batch = names[i : i + DESCRIBE_CLUSTERS_BATCH]
            out = call(self.client.describe_clusters, clusters=batch,
                       include=["SETTINGS", "CONFIGURATIONS", "TAGS"])
            for cluster in out.get("clusters", []):
                if cluster.get("status") != "INACTIVE":
                    found[cluster["clusterName"]] = cluster
        return found

    def create_cluster(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.create_cluster, f"Cluster/{kwargs.get('clusterName')}",
                                   **kwargs)["cluster"]
        return out

    def update_cluster(self, **kwargs: Any) -> None:
        call(self.client.update_cluster, f"Cluster/{kwargs.get('cluster')}", **kwargs)

    def put_cluster_capacity_providers(self, **kwargs: Any) -> None:
        call(self.client.put_cluster_capacity_providers, f"Cluster/{kwargs.get('cluster')}", **kwargs)

    # --- capacity providers ----------------------------------------------------------------------
    def describe_capacity_providers(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Capacity providers by name, with tags; missing and deleted (INACTIVE) ones are absent. One whose deletion
        is under way or failed is ACTIVE with its `updateStatus` (DELETE_IN_PROGRESS, DELETE_FAILED)."""
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(names), 10):  # AWS: at most 10 per DescribeCapacityProviders
            out = call(self.client.describe_capacity_providers, "capacity providers",
                       capacityProviders=names[i : i + 10], include=["TAGS"])
            for provider in out.get("capacityProviders", []):
                if provider.get("status") == "ACTIVE":
                    found[provider["name"]] = provider
        return found

    def all_capacity_providers(self) -> list[dict[str, Any]]:
        """Every ACTIVE capacity provider of the region (FARGATE and FARGATE_SPOT included), with tags."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"include": ["TAGS"], "maxResults": 10}
            if token:
                kwargs["nextToken"] = token
            out = call(self.client.describe_capacity_providers, "capacity providers", **kwargs)
            found.extend(p for p in out.get("capacityProviders", []) if p.get("status") == "ACTIVE")
            token = out.get("nextToken")
            if not token:
                return found

    def create_capacity_provider(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.create_capacity_provider,
                                   f"CapacityProvider/{kwargs.get('name')}", **kwargs)["capacityProvider"]
        return out

    def update_capacity_provider(self, **kwargs: Any) -> None:
        call(self.client.update_capacity_provider, f"CapacityProvider/{kwargs.get('name')}", **kwargs)

    def delete_capacity_provider(self, name: str) -> None:
        call(self.client.delete_capacity_provider, f"CapacityProvider/{name}", capacityProvider=name)

    # --- task definitions ------------------------------------------------------------------------
    def latest_task_definition_arn(self, family: str) -> str | None:
        """The newest ACTIVE revision of a family (AWS sorts; we ask for DESC and one result)."""
        out = call(self.client.list_task_definitions, f"TaskDefinition/{family}", familyPrefix=family,
                   status="ACTIVE", sort="DESC", maxResults=1)
        arns: list[str] = out.get("taskDefinitionArns", [])
        return arns[0] if arns else None

    def recent_task_definitions(self, family: str, count: int) -> list[str]:
        """The newest `count` ACTIVE revisions of a family, newest first (`familyPrefix` is the full family name)."""
        out = call(self.client.list_task_definitions, f"TaskDefinition/{family}", familyPrefix=family,
                   status="ACTIVE", sort="DESC", maxResults=count)
        arns: list[str] = out.get("taskDefinitionArns", [])
        return arns

    def active_task_definitions_page(self, token: str | None = None) -> tuple[list[str], str | None]:
        """One page of every ACTIVE revision of every family in the account and region, newest first within a
        family (AWS sorts by family, then revision; DESC reverses both), and the token of the next page."""
        kwargs: dict[str, Any] = {"status": "ACTIVE", "sort": "DESC", "maxResults": LIST_PAGE}
        if token:
            kwargs["nextToken"] = token
        out = call(self.client.list_task_definitions, "task definitions", **kwargs)
        return list(out.get("taskDefinitionArns", [])), out.get("nextToken") or None

    def task_definition_tags(self, arn: str) -> list[dict[str, str]]:
        """A revision's tags (ECS's form: key, value)."""
        out = call(self.client.list_tags_for_resource, f"TaskDefinition/{arn.rsplit('/', 1)[-1]}", resourceArn=arn)
        tags: list[dict[str, str]] = out.get("tags", [])
        return tags

    def describe_task_definition(self, ref: str) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
        """A task definition (family, family:revision or ARN) and its tags; None when it does not exist."""
        try:
            out = call(self.client.describe_task_definition, f"TaskDefinition/{ref}",
                       taskDefinition=ref, include=["TAGS"])
        except AwsError as exc:
            # AWS answers a missing task definition with a generic ClientException.
            if exc.code == "ClientException" and "nable to describe task definition" in exc.aws_message:
                return None
            raise
        return out["taskDefinition"], out.get("tags", [])

    def register_task_definition(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.register_task_definition,
                                   f"TaskDefinition/{kwargs.get('family')}", **kwargs)["taskDefinition"]
        return out

    # --- services --------------------------------------------------------------------------------
    def describe_services(self, cluster: str, names: list[str]) -> dict[str, dict[str, Any]]:
        """Services by name (ACTIVE or DRAINING); INACTIVE and missing ones are absent."""
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(names), DESCRIBE_SERVICES_BATCH):
            batch = names[i : i + DESCRIBE_SERVICES_BATCH]
            try:
                out = call(self.client.describe_services, f"Cluster/{cluster}", cluster=cluster,
                           services=batch, include=["TAGS"])
            except NotFoundError:
                return {}
            for service in out.get("services", []):
                if service.get("status") != "INACTIVE":
                    found[service["serviceName"]] = service
        return found

    def create_service(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.create_service,
                                   f"Service/{kwargs.get('cluster')}/{kwargs.get('serviceName')}",
                                   **kwargs)["service"]
        return out

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.update_service,
                                   f"Service/{kwargs.get('cluster')}/{kwargs.get('service')}",
                                   **kwargs)["service"]
        return out

    def delete_service(self, cluster: str, service: str, force: bool = False) -> None:
        call(self.client.delete_service, f"Service/{cluster}/{service}", cluster=cluster,
             service=service, force=force)

    # --- tags ------------------------------------------------------------------------------------
    def tag_resource(self, arn: str, tags: dict[str, str], resource: str) -> None:
        if tags:
            call(self.client.tag_resource, resource, resourceArn=arn,
                 tags=[{"key": k, "value": v} for k, v in sorted(tags.items())])

    def untag_resource(self, arn: str, keys: list[str], resource: str) -> None:
        if keys:
            call(self.client.untag_resource, resource, resourceArn=arn, tagKeys=sorted(keys))

    # --- tasks -----------------------------------------------------------------------------------
    def list_tasks(self, cluster: str, *, service: str | None = None, started_by: str | None = None,
                   desired_status: str | None = None, container_instance: str | None = None) -> list[str]:
        kwargs: dict[str, Any] = {"cluster": cluster}
        if container_instance:
            kwargs["containerInstance"] = container_instance
        if service:
            kwargs["serviceName"] = service
        if started_by:
            kwargs["startedBy"] = started_by
        if desired_status:
            kwargs["desiredStatus"] = desired_status
        try:
            arns: list[str] = all_pages(self.client, "list_tasks", "taskArns", f"Cluster/{cluster}", **kwargs)
        except NotFoundError:
            return []
        return arns

    def describe_tasks(self, cluster: str, arns: list[str]) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = []
        for i in range(0, len(arns), 100):  # AWS: at most 100 tasks per DescribeTasks
            out = call(self.client.describe_tasks, f"Cluster/{cluster}", cluster=cluster, tasks=arns[i : i + 100])
            tasks.extend(out.get("tasks", []))
        return tasks

    def run_task(self, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = call(self.client.run_task, f"Cluster/{kwargs.get('cluster')}", **kwargs)
        return out

    # --- listing and deleting (prune) ------------------------------------------------------------
    def list_clusters(self) -> list[str]:
        return all_pages(self.client, "list_clusters", "clusterArns", "clusters")

    def list_services(self, cluster: str) -> list[str]:
        return all_pages(self.client, "list_services", "serviceArns", f"Cluster/{cluster}", cluster=cluster)

    def list_task_definition_families(self) -> list[str]:
        return all_pages(self.client, "list_task_definition_families", "families", "task definitions", status="ACTIVE")

    def list_task_definitions(self, family: str) -> list[str]:
        """Every ACTIVE revision of a family, newest first."""
        return all_pages(self.client, "list_task_definitions", "taskDefinitionArns", f"TaskDefinition/{family}",
                               familyPrefix=family, status="ACTIVE", sort="DESC")

    def deregister_task_definition(self, arn: str) -> None:
        call(self.client.deregister_task_definition, f"TaskDefinition/{arn.rsplit('/', 1)[-1]}",
             taskDefinition=arn)

    def delete_cluster(self, cluster: str) -> None:
        call(self.client.delete_cluster, f"Cluster/{cluster}", cluster=cluster)

    def list_container_instances(self, cluster: str, status: str | None = None) -> list[str]:
        """Container instances of a cluster (ACTIVE and DRAINING ones unless `status`); none when it is missing."""
        kwargs: dict[str, Any] = {"cluster": cluster}
        if status:
            kwargs["status"] = status
        try:
            return all_pages(self.client, "list_container_instances", "containerInstanceArns", f"Cluster/{cluster}",
                             **kwargs)
        except NotFoundError:
            return []

    def describe_container_instances(self, cluster: str, arns: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for i in range(0, len(arns), 100):
            out = call(self.client.describe_container_instances, f"Cluster/{cluster}", cluster=cluster,
                       containerInstances=arns[i : i + 100])
            found.extend(out.get("containerInstances", []))
        return found

    def drain_container_instances(self, cluster: str, arns: list[str]) -> None:
        for i in range(0, len(arns), 10):  # AWS: at most 10 per UpdateContainerInstancesState
            call(self.client.update_container_instances_state, f"Cluster/{cluster}", cluster=cluster,
                 containerInstances=arns[i : i + 10], status="DRAINING")

    def deregister_container_instance(self, cluster: str, arn: str, force: bool = False) -> None:
        call(self.client.deregister_container_instance, f"Cluster/{cluster}", cluster=cluster,
             containerInstance=arn, force=force)
