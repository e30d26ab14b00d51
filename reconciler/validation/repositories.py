"""Rules ECR applies beyond what the model carries, for what reconciler sends with a Repository.

The lifecycle and repository policies are written as YAML objects and sent as JSON text
(PutLifecyclePolicy `lifecyclePolicyText`: 100 to 30,720 characters; SetRepositoryPolicy `policyText`: at
most 10,240, per the ECR model). Lifecycle rules
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html): each rulePriority unique.
Tags use `Key`/`Value` (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Tag.html).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.validation.issues import Issue, Rule, items, tag_rules

POLICY_LENGTHS = {"lifecyclePolicy": (100, 30720), "repositoryPolicy": (0, 10240)}


def policy_sizes(spec: dict[str, Any]) -> list[Issue]:
    out = []
    for member, (low, high) in POLICY_LENGTHS.items():
        if member in spec:
            n = len(json.dumps(spec[member], sort_keys=True))  # as reconciler.aws.ecr sends it
            if not low <= n <= high:
                out.append(Issue(f"{member} is {n} characters as JSON; ECR takes {low} to {high}", (member,)))
    return out


def lifecycle_rules(spec: dict[str, Any]) -> list[Issue]:
    policy = spec.get("lifecyclePolicy")
    if not isinstance(policy, dict):
        return []
    out, seen = [], set()
    for path, rule in items(policy, "rules"):
        priority = rule.get("rulePriority")
        if priority in seen:
            out.append(Issue(f"duplicate rulePriority {priority}", ("lifecyclePolicy", *path, "rulePriority")))
        seen.add(priority)
    return out


def tags(spec: dict[str, Any]) -> list[Issue]:
    return tag_rules(spec, "Key")


RULES: tuple[Rule, ...] = (policy_sizes, lifecycle_rules, tags)
