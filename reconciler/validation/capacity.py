"""Rules EC2, Auto Scaling and ECS apply to launch templates, Auto Scaling groups and capacity providers beyond
what the model carries, one function per rule.

Pages cited:
  CLT  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html
  RLTD https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RequestLaunchTemplateData.html
  UD   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html ("limited to 16 KB, in raw form")
  SSM  https://docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html
  CASG https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html
  LTS  https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateSpecification.html
  CCP  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html
  ASGP https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AutoScalingGroupProvider.html
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.validation.issues import Issue, Rule, items, tag_rules

MAX_USER_DATA_BYTES = 16 * 1024  # UD
IMAGE_ID = re.compile(r"^(?:ami-[0-9a-f]{8,17}|resolve:ssm:\S+)$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
VERSION = re.compile(r"^(?:\$Latest|\$Default|[1-9][0-9]*)$")

Spec = dict[str, Any]


# --- launch templates ---------------------------------------------------------------------------------------

def template_tags(spec: Spec) -> list[Issue]:
    """CLT TagSpecifications: "To tag the launch template, the resource type must be launch-template" (tags for
    instances and volumes belong in LaunchTemplateData.TagSpecifications); keys unique, never aws:."""
    out = []
    for path, item in items(spec, "TagSpecifications"):
        if item.get("ResourceType", "launch-template") != "launch-template":
            out.append(Issue("the template's own TagSpecifications take ResourceType launch-template (tags for "
                             "instances go in LaunchTemplateData.TagSpecifications)", (*path, "ResourceType")))
        out.extend(Issue(i.message, (*path, *i.path)) for i in tag_rules(item, "Key", "Tags"))
    return out


def user_data(spec: Spec) -> list[Issue]:
    """UD: user data is written as plain text here (reconciler base64-encodes it) and EC2 takes 16 KB of it."""
    text = (spec.get("LaunchTemplateData") or {}).get("UserData")
    if isinstance(text, str) and len(text.encode()) > MAX_USER_DATA_BYTES:
        return [Issue(f"user data is {len(text.encode())} bytes; EC2 takes at most {MAX_USER_DATA_BYTES}",
                      ("LaunchTemplateData", "UserData"))]
    return []


def image_id(spec: Spec) -> list[Issue]:
    """RLTD ImageId: an AMI ID, or (SSM) `resolve:ssm:PARAMETER` resolved when an instance launches, e.g.
    resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id."""
    image = (spec.get("LaunchTemplateData") or {}).get("ImageId")
    if isinstance(image, str) and not IMAGE_ID.match(image):
        return [Issue(f"{image!r} is neither an AMI ID (ami-...) nor resolve:ssm:PARAMETER",
                      ("LaunchTemplateData", "ImageId"))]
    return []


def security_groups(spec: Spec) -> list[Issue]:
    """RLTD: security groups go on the instance or on its network interfaces, not both; an instance profile is
    named by Arn or by Name, not both."""
    data = spec.get("LaunchTemplateData") or {}
    out = []
    if data.get("NetworkInterfaces") and (data.get("SecurityGroupIds") or data.get("SecurityGroups")):
        out.append(Issue("give security groups in NetworkInterfaces or at the instance level, not both",
                         ("LaunchTemplateData", "SecurityGroupIds")))
    profile = data.get("IamInstanceProfile") or {}
    if profile.get("Arn") and profile.get("Name"):
        out.append(Issue("name the instance profile by Arn or by Name, not both",
                         ("LaunchTemplateData", "IamInstanceProfile")))
    return out


# --- Auto Scaling groups --------------------------------------------------------------------------------------

def sizes(spec: Spec) -> list[Issue]:
    """CASG: MinSize <= MaxSize ("Max bound, N, must be greater than or equal to min bound, M"), and a
    DesiredCapacity "equal to or greater than the minimum size of the group and equal to or less than the maximum
    size of the group"."""
    low, high, desired = spec.get("MinSize"), spec.get("MaxSize"), spec.get("DesiredCapacity")
    out = []
    if isinstance(low, int) and isinstance(high, int) and low > high:
        out.append(Issue(f"MaxSize {high} is below MinSize {low}", ("MaxSize",)))
    elif isinstance(desired, int) and isinstance(low, int) and isinstance(high, int) and not low <= desired <= high:
        out.append(Issue(f"DesiredCapacity {desired} must be between MinSize {low} and MaxSize {high}",
                         ("DesiredCapacity",)))
    return out


def launch_source(spec: Spec) -> list[Issue]:
    """CASG: exactly one of LaunchTemplate, MixedInstancesPolicy and LaunchConfigurationName; LTS: a template by
    LaunchTemplateId or LaunchTemplateName (not both), Version $Latest, $Default or a version number."""
    given = [m for m in ("LaunchTemplate", "MixedInstancesPolicy", "LaunchConfigurationName") if spec.get(m)]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        return [Issue(f"give exactly one of LaunchTemplate, MixedInstancesPolicy and LaunchConfigurationName "
                      f"(got {what})", (given[-1],) if given else ())]
    template = spec.get("LaunchTemplate")
    if template is None:
        policy = (spec.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
        template = policy.get("LaunchTemplateSpecification")
        where: tuple[str, ...] = ("MixedInstancesPolicy", "LaunchTemplate", "LaunchTemplateSpecification")
    else:
        where = ("LaunchTemplate",)
    if not isinstance(template, dict):
        return []
    out = []
    if bool(template.get("LaunchTemplateId")) == bool(template.get("LaunchTemplateName")):
        out.append(Issue("name the launch template by LaunchTemplateName or LaunchTemplateId (one of them)", where))
    version = template.get("Version")
    if version is not None and not VERSION.match(str(version)):
        out.append(Issue(f"Version must be $Latest, $Default or a version number (got {version!r})",
                         (*where, "Version")))
    return out


def subnets(spec: Spec) -> list[Issue]:
    """CASG: VPCZoneIdentifier is a comma-separated list of subnet IDs; a group needs subnets or Availability
    Zones ("At least one Availability Zone or VPC Subnet is required")."""
    text = spec.get("VPCZoneIdentifier")
    if text is None:
        if not spec.get("AvailabilityZones") and not spec.get("AvailabilityZoneIds"):
            return [Issue("give VPCZoneIdentifier (subnet IDs, comma-separated) or AvailabilityZones")]
        return []
    out = []
    ids = [s.strip() for s in str(text).split(",")]
    for subnet in ids:
        if not SUBNET_ID.match(subnet):
            out.append(Issue(f"{subnet!r} is not a subnet ID (subnet-...); VPCZoneIdentifier is a comma-separated "
                             "list of them", ("VPCZoneIdentifier",)))
    duplicates = sorted({s for s in ids if ids.count(s) > 1})
    if duplicates:
        out.append(Issue(f"subnet {duplicates[0]} is listed twice", ("VPCZoneIdentifier",)))
    return out


def group_tags(spec: Spec) -> list[Issue]:
    """Auto Scaling tags: keys unique, never aws:; ResourceType, when given, auto-scaling-group."""
    out = tag_rules(spec, "Key", "Tags")
    for path, tag in items(spec, "Tags"):
        if tag.get("ResourceType", "auto-scaling-group") != "auto-scaling-group":
            out.append(Issue("ResourceType is auto-scaling-group (or left out)", (*path, "ResourceType")))
    return out


# --- capacity providers ---------------------------------------------------------------------------------------

def provider_kind(spec: Spec) -> list[Issue]:
    """CCP: a capacity provider is backed by an Auto Scaling group (autoScalingGroupProvider) or by ECS Managed
    Instances (managedInstancesProvider), one of them."""
    given = [m for m in ("autoScalingGroupProvider", "managedInstancesProvider") if spec.get(m)]
    if len(given) != 1:
        return [Issue("give autoScalingGroupProvider (an Auto Scaling group) or managedInstancesProvider")]
    return []


def termination_protection(spec: Spec) -> list[Issue]:
    """ASGP managedTerminationProtection: "When using managed termination protection, managed scaling must also
    be used otherwise managed termination protection doesn't work"."""
    provider = spec.get("autoScalingGroupProvider") or {}
    if provider.get("managedTerminationProtection") == "ENABLED" and \
            (provider.get("managedScaling") or {}).get("status") != "ENABLED":
        return [Issue("managedTerminationProtection ENABLED needs managedScaling status ENABLED",
                      ("autoScalingGroupProvider", "managedTerminationProtection"))]
    return []


def provider_tags(spec: Spec) -> list[Issue]:
    return tag_rules(spec, "key")


LAUNCH_TEMPLATE_RULES: tuple[Rule, ...] = (template_tags, user_data, image_id, security_groups)
AUTO_SCALING_GROUP_RULES: tuple[Rule, ...] = (sizes, launch_source, subnets, group_tags)
CAPACITY_PROVIDER_RULES: tuple[Rule, ...] = (provider_kind, termination_protection, provider_tags)
