"""The APIs the EC2 capacity kinds need, together: ECS (capacity providers, container instances), IAM, EC2 and
Auto Scaling (the last three make their clients on first use)."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.aws.autoscaling import AutoScalingApi
from reconciler.aws.ec2 import Ec2Api
from reconciler.aws.ecs import EcsApi
from reconciler.aws.iam import IamApi


@dataclass(frozen=True)
class CapacityApis:
    ecs: EcsApi
    iam: IamApi
    ec2: Ec2Api
    autoscaling: AutoScalingApi
    region: str = ""  # the connection's (IAM is global: ownership of roles and profiles is per region)
