"""Real-ECS behaviour of the sandbox's moto fixes, checked through boto3 in-process and over HTTP.

Each test runs twice: with ``moto.mock_aws()`` (in-process) and against a ``Sandbox`` (ThreadedMotoServer).
The ``backend`` fixture is module-scoped and parametrised, so pytest runs every in-process test first and
then every HTTP test; the two kinds of moto never live at the same time (entering or leaving ``mock_aws``
wipes a running server's state).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from reconciler.sandbox import Sandbox, get_pace, install_ecs_fixes, reset_sandbox, set_pace

REGION = "us-east-1"
EXEC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


@dataclass
class Aws:
    endpoint_url: str | None
    ecs: Any
    ecr: Any
    ec2: Any

    def subnets(self) -> list[str]:
        filters = [{"Name": "default-for-az", "Values": ["true"]}]
        subnets = self.ec2.describe_subnets(Filters=filters)["Subnets"]
        return [s["SubnetId"] for s in subnets][:2]

    def network(self) -> dict[str, Any]:
        return {"awsvpcConfiguration": {"subnets": self.subnets(), "assignPublicIp": "ENABLED"}}


def _env(mp: pytest.MonkeyPatch) -> None:
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_SESSION_TOKEN"):
        mp.delenv(name, raising=False)


@pytest.fixture(scope="module", params=["inproc", "server"])
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for in-process moto (one mock_aws for the module), else the URL of a fresh Sandbox."""
    with pytest.MonkeyPatch.context() as mp:
        _env(mp)
        install_ecs_fixes()
        if request.param == "inproc":
            with mock_aws():
                yield None
        else:
            # No AWS-managed IAM policies here: loading them makes every reset ~1-2 s slower.
            with Sandbox(iam_managed_policies=False) as sandbox:
                yield sandbox.url


@pytest.fixture
def aws(backend: str | None, monkeypatch: pytest.MonkeyPatch) -> Aws:
    _env(monkeypatch)
    reset_sandbox(backend, seed=False)
    config = Config(retries={"max_attempts": 1})

    def client(name: str) -> Any:
        return boto3.client(name, region_name=REGION, endpoint_url=backend, config=config)  # type: ignore[call-overload]

    return Aws(backend, client("ecs"), client("ecr"), client("ec2"))


def container(name: str = "app", image: str = "nginx:1.27") -> dict[str, Any]:
    return {"name": name, "image": image, "memory": 256}


def register(aws: Aws, family: str = "web", *, fargate: bool = False, **extra: Any) -> str:
    kwargs: dict[str, Any] = {"family": family, "containerDefinitions": [container()]}
    if fargate:
        kwargs.update(requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
    kwargs.update(extra)
    arn: str = aws.ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
    return arn


def wait_for_status(aws: Aws, name: str, status: str, cluster: str = "c1", timeout: float = 60.0) -> None:
    """Poll until the service has ``status`` (the scheduler drains deleted services over its steps)."""
    deadline = time.monotonic() + timeout
    while describe(aws, name, cluster)["status"] != status:
        assert time.monotonic() < deadline, f"service {name} never became {status}"
        time.sleep(0.02)


@pytest.fixture
def fast_pace() -> Iterator[None]:
    saved = get_pace()
    set_pace(0.02)
    yield
    set_pace(saved)


@pytest.fixture
def held_pace() -> Iterator[None]:
    """Steps an hour long: what a test sees stays as it is, however long the machine takes between calls.
    ``set_pace`` with short steps afterwards lets the due steps run at the next call."""
    saved = get_pace()
    set_pace(3600)
    yield
    set_pace(saved)


def describe(aws: Aws, name: str, cluster: str = "c1") -> dict[str, Any]:
    resp = aws.ecs.describe_services(cluster=cluster, services=[name])
    assert resp["failures"] == []
    service: dict[str, Any] = resp["services"][0]
    return service


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = exc.value.response["Error"]["Code"]
    return code


@pytest.fixture
def cluster(aws: Aws) -> str:
    aws.ecs.create_cluster(clusterName="c1")
    return "c1"


# ---------------------------------------------------------------------------------------------- fix a


def test_create_service_persists_fields_with_aws_defaults(aws: Aws, cluster: str) -> None:
    """AWS stores deploymentConfiguration (defaults filled in) and the other CreateService fields."""
    register(aws)
    aws.ecs.create_service(
        cluster=cluster,
        serviceName="plain",
        taskDefinition="web",
        desiredCount=1,
    )
    plain = describe(aws, "plain")
    assert plain["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert plain["enableExecuteCommand"] is False
    assert plain["enableECSManagedTags"] is False
    assert plain["placementConstraints"] == []
    assert plain["placementStrategy"] == []
    assert "healthCheckGracePeriodSeconds" not in plain
    assert plain["launchType"] == "EC2"

    aws.ecs.create_service(
        cluster=cluster,
        serviceName="full",
        taskDefinition="web",
        desiredCount=1,
        deploymentConfiguration={
            "maximumPercent": 150,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        enableExecuteCommand=True,
        healthCheckGracePeriodSeconds=30,
        placementConstraints=[{"type": "distinctInstance"}],
        placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        enableECSManagedTags=True,
        propagateTags="SERVICE",
        availabilityZoneRebalancing="DISABLED",
    )
    full = describe(aws, "full")
    assert full["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 150,
        "minimumHealthyPercent": 100,
    }
    assert full["enableExecuteCommand"] is True
    assert full["healthCheckGracePeriodSeconds"] == 30
    assert full["placementConstraints"] == [{"type": "distinctInstance"}]
    assert full["placementStrategy"] == [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
    assert full["enableECSManagedTags"] is True
    assert full["availabilityZoneRebalancing"] == "DISABLED"
    assert "availabilityZoneRebalancing" not in plain  # moto has no default for it; stored only when given


def test_daemon_service_gets_daemon_deployment_defaults(aws: Aws, cluster: str) -> None:
    """AWS defaults a DAEMON service to maximumPercent 100 and minimumHealthyPercent 0."""
    register(aws)
    aws.ecs.create_service(
        cluster=cluster, serviceName="d", taskDefinition="web", schedulingStrategy="DAEMON"
    )
    config = describe(aws, "d")["deploymentConfiguration"]
    assert config["maximumPercent"] == 100
    assert config["minimumHealthyPercent"] == 0


def test_capacity_provider_service_reports_no_launch_type(aws: Aws, cluster: str) -> None:
    """AWS omits launchType for a service created with a capacityProviderStrategy."""
    register(aws, fargate=True)
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    aws.ecs.create_service(
        cluster=cluster,
        serviceName="spot",
        taskDefinition="web",
        desiredCount=1,
        capacityProviderStrategy=strategy,
        networkConfiguration=aws.network(),
    )
    service = describe(aws, "spot")
    assert "launchType" not in service
    assert service["capacityProviderStrategy"] == strategy

    # With neither launchType nor a strategy, AWS uses the cluster's default strategy.
    default = [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    aws.ecs.create_cluster(
        clusterName="c2", capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=default
    )
    aws.ecs.create_service(
        cluster="c2",
        serviceName="dflt",
        taskDefinition="web",
        desiredCount=0,
        networkConfiguration=aws.network(),
    )
    service = describe(aws, "dflt", cluster="c2")
    assert "launchType" not in service
    assert service["capacityProviderStrategy"] == default


def test_update_service_stores_resolved_task_definition_arn(aws: Aws, cluster: str) -> None:
    """AWS reports the full task-definition ARN after UpdateService(taskDefinition="family[:N]")."""
    arn1 = register(aws)
    arn2 = register(aws)
    aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition=arn2, desiredCount=0)
    aws.ecs.update_service(cluster=cluster, service="s", taskDefinition="web:1")
    assert describe(aws, "s")["taskDefinition"] == arn1
    resp = aws.ecs.update_service(cluster=cluster, service="s", taskDefinition="web")
    assert resp["service"]["taskDefinition"] == arn2
    assert describe(aws, "s")["taskDefinition"] == arn2


def test_update_service_merges_partial_deployment_configuration(aws: Aws, cluster: str) -> None:
    """AWS keeps deploymentConfiguration members that UpdateService does not name."""
    register(aws)
    aws.ecs.create_service(
        cluster=cluster,
        serviceName="s",
        taskDefinition="web",
        desiredCount=0,
        deploymentConfiguration={"maximumPercent": 150, "minimumHealthyPercent": 50},
    )
    aws.ecs.update_service(
        cluster=cluster,
        service="s",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    assert describe(aws, "s")["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
    }


# ---------------------------------------------------------------------------------------------- fix b, k


def test_duplicate_create_service_is_not_idempotent(aws: Aws, cluster: str) -> None:
    """AWS rejects CreateService for a name that is ACTIVE (or DRAINING) in the cluster."""
    register(aws)
    aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=2)
    with pytest.raises(ClientError) as exc:
        aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=5)
    assert error_code(exc) == "InvalidParameterException"
    assert "Creation of service was not idempotent" in str(exc.value)
    assert describe(aws, "s")["desiredCount"] == 2

    aws.ecs.update_service(cluster=cluster, service="s", desiredCount=0)
    aws.ecs.delete_service(cluster=cluster, service="s")
    with pytest.raises(ClientError) as exc:
        aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=1)
    assert error_code(exc) == "InvalidParameterException"


def test_create_service_retry_with_same_client_token_returns_existing(aws: Aws, cluster: str) -> None:
    """AWS returns the existing service when CreateService is retried with the same clientToken."""
    register(aws)
    first = aws.ecs.create_service(
        cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=1, clientToken="tok-1"
    )["service"]
    again = aws.ecs.create_service(
        cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=1, clientToken="tok-1"
    )["service"]
    assert again["serviceArn"] == first["serviceArn"]
    assert again["deployments"][0]["id"] == first["deployments"][0]["id"]
    with pytest.raises(ClientError) as exc:
        aws.ecs.create_service(
            cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=1, clientToken="tok-2"
        )
    assert error_code(exc) == "InvalidParameterException"


# ---------------------------------------------------------------------------------------------- fix c


def test_delete_service_drains_then_becomes_inactive(aws: Aws, cluster: str, held_pace: None) -> None:
    """AWS moves a deleted service DRAINING -> INACTIVE; INACTIVE is describable but not listed."""
    register(aws)
    aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=1)
    deleted = aws.ecs.delete_service(cluster=cluster, service="s", force=True)["service"]
    assert deleted["status"] == "DRAINING"
    assert describe(aws, "s")["status"] == "DRAINING"
    assert len(aws.ecs.list_services(cluster=cluster)["serviceArns"]) == 1

    set_pace(0.02)
    wait_for_status(aws, "s", "INACTIVE")
    assert aws.ecs.list_services(cluster=cluster)["serviceArns"] == []

    recreated = aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=1)
    assert recreated["service"]["status"] == "ACTIVE"
    assert len(aws.ecs.list_services(cluster=cluster)["serviceArns"]) == 1


def test_update_or_delete_of_non_active_service_raises_service_not_active(
    aws: Aws, cluster: str, fast_pace: None
) -> None:
    """AWS raises ServiceNotActiveException for UpdateService/DeleteService on DRAINING or INACTIVE."""
    register(aws)
    aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=0)
    aws.ecs.delete_service(cluster=cluster, service="s")
    with pytest.raises(aws.ecs.exceptions.ServiceNotActiveException):
        aws.ecs.update_service(cluster=cluster, service="s", desiredCount=1)  # DRAINING
    wait_for_status(aws, "s", "INACTIVE")
    with pytest.raises(aws.ecs.exceptions.ServiceNotActiveException):
        aws.ecs.update_service(cluster=cluster, service="s", desiredCount=1)  # INACTIVE
    with pytest.raises(aws.ecs.exceptions.ServiceNotActiveException):
        aws.ecs.delete_service(cluster=cluster, service="s")
    assert describe(aws, "s")["desiredCount"] == 0


# ---------------------------------------------------------------------------------------------- fix d


def test_list_services_paginates_ten_by_default(aws: Aws, cluster: str) -> None:
    """AWS ListServices returns 10 per page by default and honours maxResults/nextToken."""
    register(aws)
    for i in range(23):
        aws.ecs.create_service(cluster=cluster, serviceName=f"s{i:02d}", taskDefinition="web", desiredCount=0)
    first = aws.ecs.list_services(cluster=cluster)
    assert len(first["serviceArns"]) == 10
    assert first["nextToken"]
    second = aws.ecs.list_services(cluster=cluster, nextToken=first["nextToken"], maxResults=100)
    assert len(second["serviceArns"]) == 13
    assert "nextToken" not in second
    pages = aws.ecs.get_paginator("list_services").paginate(
        cluster=cluster, PaginationConfig={"PageSize": 5}
    )
    arns = [arn for page in pages for arn in page["serviceArns"]]
    assert len(arns) == len(set(arns)) == 23
    with pytest.raises(ClientError) as exc:
        aws.ecs.list_services(cluster=cluster, maxResults=101)
    assert error_code(exc) == "InvalidParameterException"


def test_list_clusters_paginates_and_omits_inactive(aws: Aws) -> None:
    """AWS ListClusters omits deleted (INACTIVE) clusters and honours maxResults/nextToken."""
    for i in range(5):
        aws.ecs.create_cluster(clusterName=f"c{i}")
    aws.ecs.delete_cluster(cluster="c3")
    page = aws.ecs.list_clusters(maxResults=3)
    assert len(page["clusterArns"]) == 3
    rest = aws.ecs.list_clusters(maxResults=3, nextToken=page["nextToken"])
    assert "nextToken" not in rest
    names = [arn.split("/")[-1] for arn in page["clusterArns"] + rest["clusterArns"]]
    assert sorted(names) == ["c0", "c1", "c2", "c4"]


def test_list_task_definitions_sorts_filters_and_paginates(aws: Aws) -> None:
    """AWS ListTaskDefinitions honours sort=DESC, status and maxResults/nextToken."""
    for family in ("b", "a", "b", "a"):
        register(aws, family)
    aws.ecs.deregister_task_definition(taskDefinition="a:1")
    asc = aws.ecs.list_task_definitions()["taskDefinitionArns"]
    assert [arn.split("/")[-1] for arn in asc] == ["a:2", "b:1", "b:2"]
    desc = aws.ecs.list_task_definitions(sort="DESC")["taskDefinitionArns"]
    assert [arn.split("/")[-1] for arn in desc] == ["b:2", "b:1", "a:2"]
    inactive = aws.ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"]
    assert [arn.split("/")[-1] for arn in inactive] == ["a:1"]
    page = aws.ecs.list_task_definitions(sort="DESC", maxResults=2)
    assert [arn.split("/")[-1] for arn in page["taskDefinitionArns"]] == ["b:2", "b:1"]
    rest = aws.ecs.list_task_definitions(sort="DESC", maxResults=2, nextToken=page["nextToken"])
    assert [arn.split("/")[-1] for arn in rest["taskDefinitionArns"]] == ["a:2"]
    assert "nextToken" not in rest


def test_list_task_definition_families_honours_status(aws: Aws) -> None:
    """AWS ListTaskDefinitionFamilies: ACTIVE = has an ACTIVE revision, INACTIVE = has none."""
    register(aws, "live")
    register(aws, "gone")
    aws.ecs.deregister_task_definition(taskDefinition="gone:1")
    assert aws.ecs.list_task_definition_families(status="ACTIVE")["families"] == ["live"]
    assert aws.ecs.list_task_definition_families(status="INACTIVE")["families"] == ["gone"]
    assert aws.ecs.list_task_definition_families()["families"] == ["gone", "live"]
    page = aws.ecs.list_task_definition_families(maxResults=1)
    assert page["families"] == ["gone"]
    assert aws.ecs.list_task_definition_families(nextToken=page["nextToken"])["families"] == ["live"]


def test_ecr_describe_repositories_paginates(aws: Aws) -> None:
    """AWS ECR DescribeRepositories honours maxResults/nextToken."""
    for i in range(5):
        aws.ecr.create_repository(repositoryName=f"repo{i}")
    page = aws.ecr.describe_repositories(maxResults=2)
    assert len(page["repositories"]) == 2
    pages = aws.ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2})
    names = [r["repositoryName"] for p in pages for r in p["repositories"]]
    assert sorted(names) == [f"repo{i}" for i in range(5)]
    assert len(aws.ecr.describe_repositories()["repositories"]) == 5


# ---------------------------------------------------------------------------------------------- fix e


def test_describe_services_rejects_more_than_ten_names(aws: Aws, cluster: str) -> None:
    """AWS DescribeServices accepts at most 10 services per call."""
    with pytest.raises(ClientError) as exc:
        aws.ecs.describe_services(cluster=cluster, services=[f"s{i}" for i in range(11)])
    assert error_code(exc) == "InvalidParameterException"
    ten = aws.ecs.describe_services(cluster=cluster, services=[f"s{i}" for i in range(10)])
    assert len(ten["failures"]) == 10


# ---------------------------------------------------------------------------------------------- fix f


def test_create_cluster_with_existing_name_returns_it_unchanged(aws: Aws) -> None:
    """AWS CreateCluster is idempotent: an ACTIVE cluster of that name comes back unchanged."""
    aws.ecs.create_cluster(
        clusterName="c1",
        tags=[{"key": "team", "value": "a"}],
        settings=[{"name": "containerInsights", "value": "enabled"}],
        capacityProviders=["FARGATE"],
    )
    again = aws.ecs.create_cluster(clusterName="c1", tags=[{"key": "team", "value": "b"}])["cluster"]
    assert again["capacityProviders"] == ["FARGATE"]
    assert again["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    described = aws.ecs.describe_clusters(clusters=["c1"], include=["TAGS"])["clusters"][0]
    assert described["tags"] == [{"key": "team", "value": "a"}]


# ---------------------------------------------------------------------------------------------- fix g


def test_delete_cluster_refuses_while_services_exist(aws: Aws, cluster: str, held_pace: None) -> None:
    """AWS DeleteCluster raises ClusterContainsServicesException while services are ACTIVE or DRAINING."""
    register(aws)
    aws.ecs.create_service(cluster=cluster, serviceName="s", taskDefinition="web", desiredCount=0)
    with pytest.raises(aws.ecs.exceptions.ClusterContainsServicesException):
        aws.ecs.delete_cluster(cluster=cluster)
    aws.ecs.delete_service(cluster=cluster, service="s")
    with pytest.raises(aws.ecs.exceptions.ClusterContainsServicesException):
        aws.ecs.delete_cluster(cluster=cluster)  # still DRAINING


def test_delete_cluster_refuses_while_container_instances_registered(aws: Aws, cluster: str) -> None:
    """AWS DeleteCluster raises ClusterContainsContainerInstancesException while instances are registered."""
    # moto does not check the AMI id (and listing its ~1,300 images takes seconds).
    instance = aws.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    instance_id = instance["InstanceId"]
    document = '{"instanceId": "%s", "region": "%s"}' % (instance_id, REGION)  # noqa: UP031
    ci = aws.ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
    with pytest.raises(aws.ecs.exceptions.ClusterContainsContainerInstancesException):
        aws.ecs.delete_cluster(cluster=cluster)
    aws.ecs.deregister_container_instance(
        cluster=cluster, containerInstance=ci["containerInstance"]["containerInstanceArn"]
    )
    assert aws.ecs.delete_cluster(cluster=cluster)["cluster"]["status"] == "INACTIVE"


def test_create_service_on_inactive_or_missing_cluster_fails(aws: Aws, cluster: str) -> None:
    """AWS CreateService raises ClusterNotFoundException for an INACTIVE or missing cluster."""
    register(aws)
    aws.ecs.delete_cluster(cluster=cluster)
    for name in (cluster, "never-created"):
        with pytest.raises(aws.ecs.exceptions.ClusterNotFoundException):
            aws.ecs.create_service(cluster=name, serviceName="s", taskDefinition="web", desiredCount=0)


# ---------------------------------------------------------------------------------------------- fix h


def test_bare_family_resolves_to_latest_active_revision(aws: Aws, cluster: str) -> None:
    """AWS resolves a bare family to its latest ACTIVE revision (describe, create/update, run_task)."""
    arn1 = register(aws, fargate=True)
    arn2 = register(aws, fargate=True)
    register(aws, fargate=True)
    aws.ecs.deregister_task_definition(taskDefinition="web:3")
    described = aws.ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert described["taskDefinitionArn"] == arn2

    created = aws.ecs.create_service(
        cluster=cluster,
        serviceName="s",
        taskDefinition="web",
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration=aws.network(),
    )
    assert created["service"]["taskDefinition"] == arn2
    aws.ecs.update_service(cluster=cluster, service="s", taskDefinition="web:1")
    assert describe(aws, "s")["taskDefinition"] == arn1
    aws.ecs.update_service(cluster=cluster, service="s", taskDefinition="web")
    assert describe(aws, "s")["taskDefinition"] == arn2

    tasks = aws.ecs.run_task(
        cluster=cluster, taskDefinition="web", launchType="FARGATE", networkConfiguration=aws.network()
    )["tasks"]
    assert tasks[0]["taskDefinitionArn"] == arn2

    aws.ecs.deregister_task_definition(taskDefinition="web:1")
    aws.ecs.deregister_task_definition(taskDefinition="web:2")
    with pytest.raises(ClientError) as exc:
        aws.ecs.describe_task_definition(taskDefinition="web")
    assert error_code(exc) == "ClientException"


# ---------------------------------------------------------------------------------------------- fix i


def test_register_task_definition_returns_tags_and_validates_fargate(aws: Aws) -> None:
    """AWS returns tags from RegisterTaskDefinition and requires awsvpc plus task cpu/memory for Fargate."""
    resp = aws.ecs.register_task_definition(
        family="web", containerDefinitions=[container()], tags=[{"key": "team", "value": "a"}]
    )
    assert resp["tags"] == [{"key": "team", "value": "a"}]

    base: dict[str, Any] = {
        "family": "f",
        "containerDefinitions": [container()],
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
    }
    for bad in ({"networkMode": "bridge"}, {}):
        with pytest.raises(ClientError) as exc:
            aws.ecs.register_task_definition(**base, **bad)
        assert error_code(exc) == "ClientException"
        assert "Fargate only supports network mode" in str(exc.value)
    for missing in ("cpu", "memory"):
        kwargs = {k: v for k, v in base.items() if k != missing}
        with pytest.raises(ClientError) as exc:
            aws.ecs.register_task_definition(**kwargs, networkMode="awsvpc")
        assert error_code(exc) == "ClientException"
        assert missing in str(exc.value)
    ok = aws.ecs.register_task_definition(**base, networkMode="awsvpc")
    assert ok["taskDefinition"]["networkMode"] == "awsvpc"


# ---------------------------------------------------------------------------------------------- fix j


def test_awsvpc_service_requires_network_configuration(aws: Aws, cluster: str) -> None:
    """AWS CreateService needs networkConfiguration for FARGATE or an awsvpc task definition."""
    register(aws, fargate=True)
    register(aws, "ec2vpc", networkMode="awsvpc")
    for task_definition, launch_type in (("web", "FARGATE"), ("ec2vpc", "EC2")):
        with pytest.raises(ClientError) as exc:
            aws.ecs.create_service(
                cluster=cluster,
                serviceName="s",
                taskDefinition=task_definition,
                desiredCount=0,
                launchType=launch_type,
            )
        assert error_code(exc) == "InvalidParameterException"
        assert "Network Configuration must be provided" in str(exc.value)
