"""Offline validation of everything AWS would refuse, beyond types: pure functions of the manifests.

`limits` applies the constraints the botocore model carries (lengths, item counts, ranges, patterns,
32-bit and 64-bit integers); `taskdefs`, `services`, `clusters`, `repositories`, `iam` and `capacity` apply
the rules ECS, ECR, IAM, EC2 and Auto Scaling document elsewhere (each rule is a small named function citing its
documentation page);
`references` checks what involves several manifests (names that must resolve, runBefore/runAfter cycles).
No AWS call, no file, no clock: `validate` can run before any credentials exist.
"""

from __future__ import annotations

from typing import Any

from reconciler.model.keys import Kind
from reconciler.validation import capacity, clusters, iam, limits, repositories, services, taskdefs
from reconciler.validation.issues import Issue

__all__ = ["Issue", "check_manifest"]

_RULES = {
    Kind.TASK_DEFINITION: taskdefs.RULES,
    Kind.SERVICE: services.SERVICE_RULES,
    Kind.TASK: services.TASK_RULES,
    Kind.CLUSTER: clusters.RULES,
    Kind.REPOSITORY: repositories.RULES,
    Kind.ROLE: iam.ROLE_RULES,
    Kind.INSTANCE_PROFILE: iam.INSTANCE_PROFILE_RULES,
    Kind.LAUNCH_TEMPLATE: capacity.LAUNCH_TEMPLATE_RULES,
    Kind.AUTO_SCALING_GROUP: capacity.AUTO_SCALING_GROUP_RULES,
    Kind.CAPACITY_PROVIDER: capacity.CAPACITY_PROVIDER_RULES,
}


def check_manifest(kind: Kind, spec: dict[str, Any]) -> list[Issue]:
    """Every problem with one manifest's spec (already type-checked against its model)."""
    issues = limits.check(kind, spec)
    for rule in _RULES[kind]:
        issues.extend(rule(spec))
    return issues
