"""Install everything the sandbox changes in moto, process-wide and idempotently."""

from __future__ import annotations

import threading

from reconciler.sandbox import autoscaling, ec2, ecr, ecs, scheduler, ssm
from reconciler.sandbox.dynamodb import install_dynamodb_fixes
from reconciler.sandbox.reporting import install_reporting

__all__ = ["install"]

_lock = threading.Lock()


def install() -> None:
    """The ECS, ECR, EC2 (launch templates) and Auto Scaling fixes, the scheduler with the ECS agent's stand-in
    (attached to the ECS fixes through ``sandbox.events``), the forms in
    which AWS reports values (``reporting``, over the fixes) and the DynamoDB fixes (the lock table's conditional
    writes must be atomic). Safe to call any number of times."""
    with _lock:
        ecs.install()
        ecr.install()
        ec2.install()
        autoscaling.install()
        ssm.install()
        scheduler.install()
        install_reporting()
        install_dynamodb_fixes()
