"""Rules IAM applies to roles and instance profiles beyond what the model carries, one function per rule.

Pages cited (under https://docs.aws.amazon.com/IAM/latest/):
  CR  APIReference/API_CreateRole.html            Q   UserGuide/reference_iam-quotas.html
  TP  UserGuide/reference_policies_elements_principal.html (trust policies: a Principal, never a Resource)
  AR  APIReference/API_AddRoleToInstanceProfile.html ("an instance profile can contain only one IAM role")
  ARN UserGuide/reference-arns.html                TAG APIReference/API_Tag.html
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.validation.issues import Issue, Rule, tag_rules

MAX_MANAGED_POLICIES = 20  # Q: managed policies attached to a role (10 by default, raised up to 20 on request)
MAX_ROLES_PER_PROFILE = 1  # AR
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?:aws|\d{12}):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$")

Spec = dict[str, Any]


def trust_policy(spec: Spec) -> list[Issue]:
    """TP: a trust policy has statements, each with an Effect and a Principal (who may assume the role), and no
    Resource or NotResource (IAM refuses it: MalformedPolicyDocument, "Has prohibited field Resource")."""
    policy = spec.get("AssumeRolePolicyDocument")
    where = ("AssumeRolePolicyDocument",)
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return [Issue("a trust policy needs a Statement (who may assume the role)", where)]
    out = []
    for i, statement in enumerate(statements):
        path = (*where, "Statement", i) if isinstance(policy, dict) and isinstance(policy.get("Statement"), list) \
            else (*where, "Statement")
        if not isinstance(statement, dict):
            out.append(Issue("a statement is a mapping (Effect, Principal, Action)", path))
            continue
        if statement.get("Effect") not in ("Allow", "Deny"):
            out.append(Issue("Effect must be Allow or Deny", (*path, "Effect")))
        if "Principal" not in statement and "NotPrincipal" not in statement:
            out.append(Issue("a trust policy statement needs a Principal (e.g. Service: ec2.amazonaws.com)", path))
        for field in ("Resource", "NotResource"):
            if field in statement:
                out.append(Issue(f"a trust policy has no {field} (IAM refuses it)", (*path, field)))
    return out


def managed_policies(spec: Spec) -> list[Issue]:
    """Q, ARN: at most 20 managed policies, each a policy ARN, each once."""
    arns = spec.get("ManagedPolicyArns") or []
    out = []
    if len(arns) > MAX_MANAGED_POLICIES:
        out.append(Issue(f"at most {MAX_MANAGED_POLICIES} managed policies per role (got {len(arns)})",
                         ("ManagedPolicyArns",)))
    seen: set[str] = set()
    for i, arn in enumerate(arns):
        if not POLICY_ARN.match(str(arn)):
            out.append(Issue(f"{arn!r} is not a managed policy ARN (arn:aws:iam::aws:policy/NAME or "
                             "arn:aws:iam::ACCOUNT:policy/NAME)", ("ManagedPolicyArns", i)))
        elif arn in seen:
            out.append(Issue(f"{arn!r} is listed twice", ("ManagedPolicyArns", i)))
        seen.add(str(arn))
    return out


def profile_roles(spec: Spec) -> list[Issue]:
    """AR: an instance profile holds at most one role, named by its role name."""
    roles = spec.get("Roles") or []
    out = []
    if len(roles) > MAX_ROLES_PER_PROFILE:
        out.append(Issue(f"an instance profile holds at most one role (got {len(roles)})", ("Roles",)))
    for i, role in enumerate(roles):
        if not re.fullmatch(r"[\w+=,.@-]{1,64}", str(role)):
            out.append(Issue(f"{role!r} is not a role name (1 to 64 letters, digits and + = , . @ _ -)",
                             ("Roles", i)))
    return out


def tags(spec: Spec) -> list[Issue]:
    return tag_rules(spec, "Key", "Tags")


ROLE_RULES: tuple[Rule, ...] = (trust_policy, managed_policies, tags)
INSTANCE_PROFILE_RULES: tuple[Rule, ...] = (profile_roles, tags)
