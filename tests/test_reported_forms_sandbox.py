"""Issue 13 on the sandbox (which reports these fields as AWS does: reconciler/sandbox/reporting.py): for each of
the eight cases, apply then plan is empty and a second apply makes no mutating call, in-process and, for the
cases that need no AWS set-up beyond the manifests, through the CLI against a `reconciler sandbox` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler import loader, pipeline
from reconciler.model.plan import Action

from .conftest import REGION
from .sandbox_process import sandbox_process
from .test_convergence import assert_converges

CLUSTER = """apiVersion: reconciler/v1
kind: Cluster
metadata: {name: reported}
spec:
  serviceConnectDefaults: {namespace: apps}
"""
TASK_DEFINITIONS = """apiVersion: reconciler/v1
kind: TaskDefinition
metadata: {name: reported-app}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  enableFaultInjection: false
  containerDefinitions:
    - name: app
      image: nginx
      portMappings: [{containerPort: 80, name: http}]
      environment:
        - {name: OPTIONAL_FLAG, value: ""}
        - {name: LOG_LEVEL, value: info}
      mountPoints: [{sourceVolume: scratch, containerPath: /scratch}]
  volumes:
    - name: scratch
---
apiVersion: reconciler/v1
kind: TaskDefinition
metadata: {name: reported-mesh}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - {name: app, image: nginx}
    - {name: envoy, image: envoy, user: "1337"}
  proxyConfiguration:
    type: APPMESH
    containerName: envoy
    properties:
      - {name: IgnoredUID, value: "1337"}
      - {name: AppPorts, value: "80"}
      - {name: ProxyIngressPort, value: "15000"}
      - {name: ProxyEgressPort, value: "15001"}
---
apiVersion: reconciler/v1
kind: TaskDefinition
metadata: {name: reported-bridge}
spec:
  containerDefinitions:
    - {name: app, image: nginx, memory: 64, portMappings: [{containerPort: 80}]}
"""
SERVICES = """apiVersion: reconciler/v1
kind: Service
metadata: {name: connected}
spec:
  cluster: reported
  taskDefinition: reported-app
  desiredCount: 0
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration: {subnets: [subnet-0a0a0a0a0a0a0a0a1], securityGroups: [sg-0a0a0a0a0a0a0a0a1]}
  serviceConnectConfiguration:
    enabled: true
    namespace: apps
    services: [{portName: http, clientAliases: [{port: 80}]}]
---
apiVersion: reconciler/v1
kind: Service
metadata: {name: spread}
spec:
  cluster: reported
  taskDefinition: reported-bridge
  desiredCount: 0
  launchType: EC2
  placementStrategy: [{type: spread, field: host}]
"""
ROLE_SERVICE = """apiVersion: reconciler/v1
kind: Service
metadata: {name: balanced}
spec:
  cluster: reported
  taskDefinition: reported-bridge
  desiredCount: 0
  launchType: EC2
  role: /ecs/ecsServiceRole
  loadBalancers: [{loadBalancerName: classic-lb, containerName: app, containerPort: 80}]
"""
POLICY_REPOSITORY = """apiVersion: reconciler/v1
kind: Repository
metadata: {name: reported-policy}
spec:
  repositoryPolicy:
    Version: "2008-10-17"
    Statement:
      - Sid: pull
        Effect: Allow
        Principal: {AWS: ["123456789012", "210987654321"]}
        Action: [ecr:BatchGetImage, ecr:GetDownloadUrlForLayer]
"""


def kms_repositories(alias: str, key_id: str) -> str:
    return f"""apiVersion: reconciler/v1
kind: Repository
metadata: {{name: reported-alias}}
spec:
  encryptionConfiguration: {{encryptionType: KMS, kmsKey: {alias}}}
---
apiVersion: reconciler/v1
kind: Repository
metadata: {{name: reported-key-id}}
spec:
  encryptionConfiguration: {{encryptionType: KMS, kmsKey: {key_id}}}
"""


def kms_key(client_kwargs: dict[str, Any]) -> tuple[str, str]:
    """A KMS key and an alias for it (AWS needs the key to exist before a repository uses it)."""
    kms = boto3.client("kms", **client_kwargs)
    key = kms.create_key(Description="ECR images")["KeyMetadata"]
    kms.create_alias(AliasName="alias/ecr-images", TargetKeyId=key["KeyId"])
    return "alias/ecr-images", str(key["KeyId"])


def write(tmp_path: Path, **docs: str) -> Path:
    target = tmp_path / "m"
    target.mkdir()
    for name, text in docs.items():
        (target / f"{name}.yaml").write_text(text)
    return target


def test_every_case_converges_on_the_sandbox(aws: Any, tmp_path: Path) -> None:
    """Namespace names, host placement, a role with a path, KMS aliases and key ids, account principals, empty
    environment values, volumes without configuredAtLaunch, proxy properties: apply, then nothing to do."""
    boto3.client("iam").create_role(RoleName="ecsServiceRole", Path="/ecs/", AssumeRolePolicyDocument="{}")
    alias, key_id = kms_key({"region_name": REGION})
    m = write(tmp_path, cluster=CLUSTER, taskdefs=TASK_DEFINITIONS, services=SERVICES, role=ROLE_SERVICE,
              policy=POLICY_REPOSITORY, kms=kms_repositories(alias, key_id))
    assert_converges(aws, [str(m)])
    # What AWS reports is indeed another form than what was sent:
    cluster = aws.ecs.describe_clusters(["reported"])["reported"]
    assert cluster["serviceConnectDefaults"]["namespace"].startswith("arn:aws:servicediscovery:")
    services = aws.ecs.describe_services("reported", ["connected", "spread", "balanced"])
    assert services["spread"]["placementStrategy"] == [{"type": "spread", "field": "instanceId"}]
    assert services["balanced"]["roleArn"] == "arn:aws:iam::123456789012:role/ecs/ecsServiceRole"
    [primary] = [d for d in services["connected"]["deployments"] if d["status"] == "PRIMARY"]
    assert primary["serviceConnectConfiguration"]["namespace"].startswith("arn:aws:servicediscovery:")
    assert aws.ecr.describe_repository("reported-alias")["encryptionConfiguration"]["kmsKey"].endswith(key_id)
    app = aws.ecs.describe_task_definition("reported-app")[0]
    assert [e["name"] for e in app["containerDefinitions"][0]["environment"]] == ["LOG_LEVEL"]
    assert app["volumes"] == [{"name": "scratch", "configuredAtLaunch": False}]


def test_a_real_change_to_each_converges_too(aws: Any, tmp_path: Path) -> None:
    """After each case converged, a real change (another namespace, another placement field, another principal)
    plans exactly that change, and applies."""
    boto3.client("iam").create_role(RoleName="ecsServiceRole", Path="/ecs/", AssumeRolePolicyDocument="{}")
    m = write(tmp_path, cluster=CLUSTER, taskdefs=TASK_DEFINITIONS, services=SERVICES, policy=POLICY_REPOSITORY)
    assert_converges(aws, [str(m)])
    (m / "cluster.yaml").write_text(CLUSTER.replace("namespace: apps", "namespace: other-apps"))
    (m / "services.yaml").write_text(SERVICES.replace("field: host", "field: attribute:ecs.availability-zone"))
    (m / "policy.yaml").write_text(POLICY_REPOSITORY.replace(', "210987654321"', ""))
    plan, _ = pipeline.plan(loader.load([str(m)]), aws, pipeline.PlanOptions())
    fields = {str(c.key): [f.path for f in c.fields] for c in plan.changes if c.is_change}
    assert fields == {
        "Cluster/reported": ["serviceConnectDefaults.namespace"],
        "Service/reported/spread": ["placementStrategy[0].field"],
        "Repository/reported-policy": ["repositoryPolicy.Statement[0].Principal.AWS"],
    }
    assert all(c.action is Action.UPDATE for c in plan.changes if c.is_change)
    [cluster] = [c for c in plan.changes if str(c.key) == "Cluster/reported"]
    assert (cluster.fields[0].before, cluster.fields[0].after) == ("apps", "other-apps")  # by name, not ARN
    assert_converges(aws, [str(m)])


@pytest.mark.server
def test_the_cli_converges_on_a_sandbox_process(tmp_path: Path) -> None:
    """`reconciler apply` then `reconciler plan --detailed-exitcode` against `reconciler sandbox`: exit 0, for a
    cluster namespace name, a KMS alias, an account principal, an empty variable and a bare volume."""
    cli = str(Path(sys.executable).parent / "reconciler")
    with sandbox_process("0.05") as env:
        alias, key_id = kms_key({"region_name": REGION, "endpoint_url": env["AWS_ENDPOINT_URL"],
                                 "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
        m = write(tmp_path, cluster=CLUSTER, taskdefs=TASK_DEFINITIONS, policy=POLICY_REPOSITORY,
                  kms=kms_repositories(alias, key_id))
        applied = subprocess.run([cli, "apply", str(m), "--poll", "0.2s"], env=env, capture_output=True, text=True,
                                 timeout=300)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        plan = subprocess.run([cli, "plan", str(m), "--detailed-exitcode"], env=env, capture_output=True, text=True,
                              timeout=300)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert "No changes." in plan.stdout


def test_the_reporting_patches_are_installed_once(aws: Any) -> None:
    """Installing the sandbox fixes again (every in-process test does) leaves the same patched methods: no
    wrapper grows around another."""
    from moto.ecr.models import ECRBackend
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    from reconciler.sandbox import install_ecs_fixes

    before = (EC2ContainerServiceResponse.create_service, EC2ContainerServiceBackend.register_task_definition,
              ECRBackend.create_repository, EC2ContainerServiceBackend.create_cluster)
    install_ecs_fixes()
    install_ecs_fixes()
    assert (EC2ContainerServiceResponse.create_service, EC2ContainerServiceBackend.register_task_definition,
            ECRBackend.create_repository, EC2ContainerServiceBackend.create_cluster) == before


def test_an_unknown_kms_key_is_refused_as_ecr_refuses_it(aws: Any) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        aws.clients.ecr.create_repository(repositoryName="no-key", encryptionConfiguration={
            "encryptionType": "KMS", "kmsKey": "alias/does-not-exist"})
    assert info.value.response["Error"]["Code"] == "KmsException"
    assert aws.ecr.describe_repository("no-key") is None
