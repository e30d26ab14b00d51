"""Find the EC2 capacity this owner owns, to prune what left git: capacity providers and launch templates (listed
with their tags), Auto Scaling groups (filtered by our owner tag, by AWS), roles (one paged call with their tags)
and instance profiles (IAM lists none: one read per profile). IAM is global: only roles and profiles tagged with this
region (`reconciler:region`) are candidates; the others are reported, never deleted from here."""

from __future__ import annotations

from reconciler.aws.capacity import CapacityApis
from reconciler.errors import AwsError
from reconciler.live import auto_scaling_groups, instance_profiles, launch_templates, roles
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState, OwnedState
from reconciler.model.tags import OWNER_TAG, REGION_TAG, tags_to_map

DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess")


def read(state: LiveState, apis: CapacityApis, owner: str) -> None:
    """Fill `state.owned` with this owner's EC2 capacity. A kind the credentials may not list is not pruned: a
    warning says so (an account without EC2 capacity need not grant these reads)."""
    assert state.owned is not None
    for what, reader in (("capacity providers", _providers), ("Auto Scaling groups", _groups),
                         ("launch templates", _templates), ("IAM roles", _roles),
                         ("instance profiles", _profiles)):
        try:
            reader(state.owned, apis, owner)
        except AwsError as exc:
            if exc.code not in DENIED:
                raise
            state.warnings.append(f"--prune could not list {what} ({exc.operation}: {exc.code}): none of them is "
                                  "pruned")


def _providers(owned: OwnedState, apis: CapacityApis, owner: str) -> None:
    for provider in apis.ecs.all_capacity_providers():
        tags = tags_to_map(provider.get("tags"))
        if tags.get(OWNER_TAG) == owner:
            name = str(provider["name"])
            owned.capacity_providers[name] = LiveResource(Kind.CAPACITY_PROVIDER, name,
                                                          str(provider["capacityProviderArn"]), dict(provider), tags)


def _groups(owned: OwnedState, apis: CapacityApis, owner: str) -> None:
    for group in apis.autoscaling.groups_tagged(OWNER_TAG, owner):
        owned.auto_scaling_groups[str(group["AutoScalingGroupName"])] = auto_scaling_groups.group_resource(group)


def _templates(owned: OwnedState, apis: CapacityApis, owner: str) -> None:
    for template in apis.ec2.describe_launch_templates():
        if tags_to_map(template.get("Tags")).get(OWNER_TAG) == owner:
            found = launch_templates.read_template(str(template["LaunchTemplateName"]), apis.ec2)
            if found is not None:
                owned.launch_templates[found.name] = found


def _roles(owned: OwnedState, apis: CapacityApis, owner: str) -> None:
    for role in apis.iam.roles_with_tags():
        tags = tags_to_map(role.get("Tags"))
        if tags.get(OWNER_TAG) != owner:
            continue
        name = str(role["RoleName"])
        if tags.get(REGION_TAG) != apis.region:
            owned.other_region_iam.append(f"Role/{name} ({tags.get(REGION_TAG) or 'no region tag'})")
            continue
        attached = [str(p["PolicyArn"]) for p in role.get("AttachedManagedPolicies") or []]
        owned.roles[name] = LiveResource(Kind.ROLE, name, str(role["Arn"]), roles.role_spec(role, attached), tags)


def _profiles(owned: OwnedState, apis: CapacityApis, owner: str) -> None:
    for listed in apis.iam.list_instance_profiles():
        name = str(listed["InstanceProfileName"])
        profile = apis.iam.get_instance_profile(name)
        tags = tags_to_map((profile or {}).get("Tags"))
        if profile is None or tags.get(OWNER_TAG) != owner:
            continue
        if tags.get(REGION_TAG) != apis.region:
            owned.other_region_iam.append(f"InstanceProfile/{name} ({tags.get(REGION_TAG) or 'no region tag'})")
            continue
        owned.instance_profiles[name] = LiveResource(Kind.INSTANCE_PROFILE, name, str(profile["Arn"]),
                                                     instance_profiles.profile_spec(profile), tags)
