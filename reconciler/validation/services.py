"""Rules ECS applies to CreateService and RunTask beyond what the model carries, one function per rule.

Pages cited (all under https://docs.aws.amazon.com/AmazonECS/latest/):
  CS  APIReference/API_CreateService.html           RT  APIReference/API_RunTask.html
  DC  APIReference/API_DeploymentConfiguration.html LB  APIReference/API_LoadBalancer.html
  CPS APIReference/API_CapacityProviderStrategyItem.html
  VPC APIReference/API_AwsVpcConfiguration.html     Q   developerguide/service-quotas.html
"""

from __future__ import annotations

from typing import Any

from reconciler.validation.issues import Issue, Rule, items, tag_rules

MAX_TARGET_GROUPS = 5  # Q: target groups per service
MAX_CLASSIC_LOAD_BALANCERS = 1  # Q: Classic Load Balancers per service
MAX_PLACEMENT_CONSTRAINTS = 10  # CS placementConstraints
MAX_PLACEMENT_STRATEGIES = 5  # CS placementStrategy
MAX_CAPACITY_PROVIDERS = 20  # CS capacityProviderStrategy
MAX_RUN_TASK_COUNT = 10  # RT count: "You can specify up to 10 tasks for each call"
MAX_SUBNETS, MAX_SECURITY_GROUPS = 16, 5  # VPC

Spec = dict[str, Any]


def desired_count(spec: Spec) -> list[Issue]:
    """CS desiredCount: a number of tasks, so never negative."""
    n = spec.get("desiredCount")
    return [Issue(f"desiredCount cannot be negative (got {n})", ("desiredCount",))] if n is not None and n < 0 else []


def launch_type_or_strategy(spec: Spec) -> list[Issue]:
    """CS/RT: "If a capacityProviderStrategy is specified, the launchType parameter must be omitted"."""
    if spec.get("launchType") and spec.get("capacityProviderStrategy"):
        return [Issue("give launchType or capacityProviderStrategy, not both", ("capacityProviderStrategy",))]
    return []


def capacity_provider_strategy(spec: Spec) -> list[Issue]:
    return strategy_rules(spec, "capacityProviderStrategy")


def strategy_rules(spec: Spec, member: str) -> list[Issue]:
    """CPS: at most 20 providers, each once; "Only one capacity provider in a strategy can have a base
    defined"; with several providers, at least one has a weight above 0."""
    strategy = items(spec, member)
    out = []
    if len(strategy) > MAX_CAPACITY_PROVIDERS:
        out.append(Issue(f"at most {MAX_CAPACITY_PROVIDERS} capacity providers (got {len(strategy)})", (member,)))
    seen: set[str] = set()
    for path, item in strategy:
        name = str(item.get("capacityProvider"))
        if name in seen:
            out.append(Issue(f"capacity provider {name!r} is listed twice", (*path, "capacityProvider")))
        seen.add(name)
    with_base = [path for path, item in strategy if (item.get("base") or 0) > 0]
    if len(with_base) > 1:
        out.append(Issue("only one capacity provider in a strategy may have a base", (*with_base[1], "base")))
    if len(strategy) > 1 and not any((item.get("weight") or 0) > 0 for _, item in strategy):
        out.append(Issue("with several capacity providers, at least one needs a weight above 0", (member,)))
    return out


def scheduling(spec: Spec) -> list[Issue]:
    """CS schedulingStrategy: "Tasks using the Fargate launch type or the CODE_DEPLOY or EXTERNAL deployment
    controller types don't support the DAEMON scheduling strategy"."""
    if spec.get("schedulingStrategy") != "DAEMON":
        return []
    out = []
    if spec.get("launchType") == "FARGATE":
        out.append(Issue("DAEMON services cannot run on Fargate", ("schedulingStrategy",)))
    controller = (spec.get("deploymentController") or {}).get("type")
    if controller in ("CODE_DEPLOY", "EXTERNAL"):
        out.append(Issue(f"DAEMON services cannot use the {controller} deployment controller",
                         ("schedulingStrategy",)))
    return out


def deployment_percentages(spec: Spec) -> list[Issue]:
    """DC: minimumHealthyPercent is a percentage of desiredCount that must stay running (0 to 100);
    maximumPercent an upper limit, never negative."""
    config = spec.get("deploymentConfiguration") or {}
    out = []
    low, high = config.get("minimumHealthyPercent"), config.get("maximumPercent")
    if low is not None and not 0 <= low <= 100:
        out.append(Issue(f"minimumHealthyPercent must be between 0 and 100 (got {low})",
                         ("deploymentConfiguration", "minimumHealthyPercent")))
    if high is not None and high < 0:
        out.append(Issue(f"maximumPercent cannot be negative (got {high})",
                         ("deploymentConfiguration", "maximumPercent")))
    return out


def load_balancers(spec: Spec) -> list[Issue]:
    """CS/LB: an ALB/NLB entry has targetGroupArn, containerName and containerPort; a Classic one
    loadBalancerName (not both); at most 5 target groups and 1 Classic Load Balancer per service (Q);
    role only with a load balancer (CS role)."""
    out = []
    entries = items(spec, "loadBalancers")
    for path, lb in entries:
        if lb.get("targetGroupArn") and lb.get("loadBalancerName"):
            out.append(Issue("give targetGroupArn (ALB/NLB) or loadBalancerName (Classic), not both", path))
        elif not lb.get("targetGroupArn") and not lb.get("loadBalancerName"):
            out.append(Issue("a load balancer needs targetGroupArn (ALB/NLB) or loadBalancerName (Classic)", path))
        for member in ("containerName", "containerPort"):
            if lb.get(member) is None:
                out.append(Issue(f"a load balancer needs {member} (the container and port traffic goes to)", path))
    groups = sum(1 for _, lb in entries if lb.get("targetGroupArn"))
    classic = sum(1 for _, lb in entries if lb.get("loadBalancerName"))
    if groups > MAX_TARGET_GROUPS:
        out.append(Issue(f"at most {MAX_TARGET_GROUPS} target groups per service (got {groups})", ("loadBalancers",)))
    if classic > MAX_CLASSIC_LOAD_BALANCERS:
        out.append(Issue("at most one Classic Load Balancer per service", ("loadBalancers",)))
    if spec.get("role") and not entries:
        out.append(Issue("role is only used with loadBalancers", ("role",)))
    return out


def placement(spec: Spec) -> list[Issue]:
    """CS: at most 10 placement constraints and 5 placement strategies; one service registry."""
    out = []
    for member, limit in (("placementConstraints", MAX_PLACEMENT_CONSTRAINTS),
                          ("placementStrategy", MAX_PLACEMENT_STRATEGIES), ("serviceRegistries", 1)):
        n = len(spec.get(member) or [])
        if n > limit:
            out.append(Issue(f"at most {limit} {member} (got {n})", (member,)))
    return out


def network_configuration(spec: Spec) -> list[Issue]:
    """VPC: 1 to 16 subnets, at most 5 security groups."""
    vpc = (spec.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if not isinstance(vpc, dict):
        return []
    out = []
    where = ("networkConfiguration", "awsvpcConfiguration")
    subnets, groups = vpc.get("subnets") or [], vpc.get("securityGroups") or []
    if not subnets:
        out.append(Issue("at least one subnet is needed", (*where, "subnets")))
    if len(subnets) > MAX_SUBNETS:
        out.append(Issue(f"at most {MAX_SUBNETS} subnets (got {len(subnets)})", (*where, "subnets")))
    if len(groups) > MAX_SECURITY_GROUPS:
        out.append(Issue(f"at most {MAX_SECURITY_GROUPS} security groups (got {len(groups)})",
                         (*where, "securityGroups")))
    return out


def platform_version(spec: Spec) -> list[Issue]:
    """CS platformVersion: "A platform version is specified only for tasks using the Fargate launch type"."""
    launch = spec.get("launchType")
    if spec.get("platformVersion") and launch not in (None, "FARGATE"):
        return [Issue(f"platformVersion is for Fargate only (launchType is {launch})", ("platformVersion",))]
    return []


def run_count(spec: Spec) -> list[Issue]:
    """RT count: 1 to 10 tasks per call."""
    n = spec.get("count")
    if n is not None and not 1 <= n <= MAX_RUN_TASK_COUNT:
        return [Issue(f"count must be between 1 and {MAX_RUN_TASK_COUNT} (got {n})", ("count",))]
    return []


def hooks(spec: Spec) -> list[Issue]:
    """A one-off task cannot run both before and after the same service."""
    both = sorted(set(spec.get("runBefore") or []) & set(spec.get("runAfter") or []))
    return [Issue(f"{name!r} is in both runBefore and runAfter: the task cannot run before and after it",
                  ("runAfter",)) for name in both]


def tags(spec: Spec) -> list[Issue]:
    return tag_rules(spec, "key")


SERVICE_RULES: tuple[Rule, ...] = (
    desired_count, launch_type_or_strategy, capacity_provider_strategy, scheduling, deployment_percentages,
    load_balancers, placement, network_configuration, platform_version, tags,
)
TASK_RULES: tuple[Rule, ...] = (
    launch_type_or_strategy, capacity_provider_strategy, placement, network_configuration, platform_version,
    run_count, hooks, tags,
)
