"""The benchmarks' account: N services over C clusters, each service on a task definition family of its own (the
shape the issue measured), written as manifests one directory per service, as `reconciler import` lays them out.

Every service is Fargate, awsvpc on the sandbox's seeded network, one task (desiredCount 1), with a container
of a realistic size: an image, a port, eight environment variables, awslogs, a health check.
"""

from __future__ import annotations

from pathlib import Path

SUBNETS = ["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"]  # what the sandbox seeds
SECURITY_GROUP = "sg-0a0a0a0a0a0a0a0a1"
ACCOUNT = "123456789012"

CLUSTER = """apiVersion: reconciler/v1
kind: Cluster
metadata: {{name: {cluster}}}
spec:
  settings: [{{name: containerInsights, value: enabled}}]
  tags: [{{key: team, value: bench}}]
"""

TASK_DEFINITION = """apiVersion: reconciler/v1
kind: TaskDefinition
metadata: {{name: {family}}}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  executionRoleArn: arn:aws:iam::{account}:role/ecsTaskExecutionRole
  containerDefinitions:
    - name: app
      image: public.ecr.aws/nginx/nginx:{tag}
      portMappings: [{{containerPort: 8080}}]
      environment:
{environment}
      logConfiguration:
        logDriver: awslogs
        options: {{awslogs-group: /bench/{family}, awslogs-region: us-east-1, awslogs-stream-prefix: app}}
      healthCheck: {{command: [CMD-SHELL, "curl -f http://localhost:8080/ || exit 1"], interval: 30}}
  tags: [{{key: team, value: bench}}]
"""

SERVICE = """apiVersion: reconciler/v1
kind: Service
metadata: {{name: {service}}}
spec:
  cluster: {cluster}
  taskDefinition: {family}
  desiredCount: 1
  launchType: FARGATE
  deploymentConfiguration: {{maximumPercent: 200, minimumHealthyPercent: 100}}
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [{subnets}]
      securityGroups: [{security_group}]
  tags: [{{key: team, value: bench}}]
"""


def cluster_name(i: int) -> str:
    return f"bench-{i:02d}"


def service_name(i: int) -> str:
    return f"svc-{i:04d}"


def family_name(i: int) -> str:
    return f"app-{i:04d}"


def placement(i: int, clusters: int) -> str:
    """The cluster service `i` runs in (round robin)."""
    return cluster_name(i % clusters)


def write(directory: Path, services: int, clusters: int, tag: str = "1.27", retagged: int = 0,
          new_tag: str = "1.28") -> Path:
    """Manifests for `services` services over `clusters` clusters under `directory`; the first `retagged` services'
    images use `new_tag` (an image change)."""
    directory.mkdir(parents=True, exist_ok=True)
    environment = "\n".join(f"        - {{name: SETTING_{n}, value: \"value-{n}\"}}" for n in range(8))
    for c in range(clusters):
        path = directory / "clusters" / cluster_name(c) / "cluster.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CLUSTER.format(cluster=cluster_name(c)))
    for i in range(services):
        where = directory / "clusters" / placement(i, clusters) / service_name(i)
        where.mkdir(parents=True, exist_ok=True)
        (where / "taskdef.yaml").write_text(TASK_DEFINITION.format(
            family=family_name(i), account=ACCOUNT, tag=new_tag if i < retagged else tag, environment=environment))
        (where / "service.yaml").write_text(SERVICE.format(
            service=service_name(i), cluster=placement(i, clusters), family=family_name(i),
            subnets=", ".join(SUBNETS), security_group=SECURITY_GROUP))
    return directory


# The rollout benchmark: 20 services of their own, in a cluster of their own, rolled from one image to another.
ROLLOUT_CLUSTER = "rollout"
IMAGE = "public.ecr.aws/nginx/nginx"


def rollout_service(i: int) -> str:
    return f"web-{i:02d}"


def write_rollout(directory: Path, services: int, tag: str) -> Path:
    """The rollout cluster and `services` services, each on its own family, all on image tag `tag`."""
    directory.mkdir(parents=True, exist_ok=True)
    environment = "\n".join(f"        - {{name: SETTING_{n}, value: \"value-{n}\"}}" for n in range(8))
    (directory / "cluster.yaml").write_text(CLUSTER.format(cluster=ROLLOUT_CLUSTER))
    for i in range(services):
        name = rollout_service(i)
        text = TASK_DEFINITION.format(family=name, account=ACCOUNT, tag=tag, environment=environment)
        text = text.replace("public.ecr.aws/nginx/nginx:", f"{IMAGE}:")
        service = SERVICE.format(service=name, cluster=ROLLOUT_CLUSTER, family=name, subnets=", ".join(SUBNETS),
                                 security_group=SECURITY_GROUP)
        (directory / f"{name}.yaml").write_text(text + "---\n" + service)
    return directory
