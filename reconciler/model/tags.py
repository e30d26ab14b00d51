"""Tags: the ownership tags this product writes, and one map form for ECS and ECR tag lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model.keys import Kind

OWNER_TAG = "reconciler:managed-by"  # value: the owner id (--owner), says who may change the resource
MANIFEST_TAG = "reconciler:manifest"  # value: "Kind/name" of the manifest that declares it
OUR_TAG_PREFIX = "reconciler:"
DELETION_POLICY_TAG = "reconciler:deletion-policy"  # on repositories: retain | delete | force (from annotation)
# On services, clusters and repositories: the user tag keys the manifest declared (space-separated), so that a
# key later taken out of the manifest is removed, while tags other tools set are left alone.
TAG_KEYS_TAG = "reconciler:tag-keys"
META_TAGS = (DELETION_POLICY_TAG, TAG_KEYS_TAG)  # bookkeeping tags that follow from the manifest
# On IAM roles and instance profiles (IAM is global, reconciler works per region): the region of the apply that
# made or adopted it. --prune in another region never deletes it.
REGION_TAG = "reconciler:region"
# On an Auto Scaling group while reconciler replaces its instances: "desired=N max=M", the capacity the group had
# before the roll (a roll raises both for a while). A re-run after a crash finishes the roll from it.
ROLL_TAG = "reconciler:roll"


def tags_to_map(tags: Any) -> dict[str, str]:
    """ECS tags ({key, value}) and ECR tags ({Key, Value}) as one plain map."""
    out: dict[str, str] = {}
    for tag in tags or []:
        if isinstance(tag, Mapping):
            key = tag.get("key", tag.get("Key"))
            if key is not None:
                out[str(key)] = str(tag.get("value", tag.get("Value", "")))
    return out


# Where a kind's spec holds its own tags, in that API's form (ECS {key, value}, the others {Key, Value}). A launch
# template's are the TagSpecifications entry of ResourceType launch-template (its other entries tag instances).
TAGS_MEMBER: dict[Kind, str] = {
    Kind.ROLE: "Tags",
    Kind.INSTANCE_PROFILE: "Tags",
    Kind.LAUNCH_TEMPLATE: "TagSpecifications",
    Kind.AUTO_SCALING_GROUP: "Tags",
}
_CAPITALISED = frozenset({Kind.REPOSITORY, Kind.ROLE, Kind.INSTANCE_PROFILE, Kind.LAUNCH_TEMPLATE,
                          Kind.AUTO_SCALING_GROUP})
LAUNCH_TEMPLATE_RESOURCE = "launch-template"


def tags_member(kind: Kind) -> str:
    return TAGS_MEMBER.get(kind, "tags")


def spec_tags(kind: Kind, spec: Mapping[str, Any]) -> dict[str, str]:
    """The resource's own tags, as a map, from a spec of `kind` (a manifest's, or live output in input form)."""
    if kind is Kind.LAUNCH_TEMPLATE:
        out: dict[str, str] = {}
        for item in spec.get("TagSpecifications") or []:
            if isinstance(item, Mapping) and item.get("ResourceType", LAUNCH_TEMPLATE_RESOURCE) == \
                    LAUNCH_TEMPLATE_RESOURCE:
                out.update(tags_to_map(item.get("Tags")))
        return out
    return tags_to_map(spec.get(tags_member(kind)))


def tag_list(kind: Kind, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """Tags in the create operation's own form for `kind` (Auto Scaling tags are built by their applier)."""
    if kind is Kind.LAUNCH_TEMPLATE:
        return [{"ResourceType": LAUNCH_TEMPLATE_RESOURCE,
                 "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}] if tags else []
    if kind in _CAPITALISED:
        return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags without the ones this product writes for ownership."""
    return {k: v for k, v in tags.items() if not k.startswith(OUR_TAG_PREFIX)}


def ownership_tags(owner: str, kind: str, name: str) -> dict[str, str]:
    return {OWNER_TAG: owner, MANIFEST_TAG: f"{kind}/{name}"}

# Set on a service whose rollout failed (and was rolled back): the revision that failed and the digest of
# the manifest that asked for it. While both still match, plans hold the change instead of retrying it.
FAILED_TASK_DEFINITION_TAG = "reconciler:failed-task-definition"
FAILED_SPEC_TAG = "reconciler:failed-spec"
# On a service: the revisions ("family:revision") whose rollouts completed, newest first, at most five.
GOOD_REVISIONS_TAG = "reconciler:good-revisions"
GOOD_REVISIONS_KEPT = 5

# On a task definition revision this product registered (the loop guard, reconciler.planning.loopguard):
# SENT_DIGEST_TAG is set in the RegisterTaskDefinition request, the digest of the canonical content sent;
# READBACK_TAG is set right after, "<revision>:<digest>" of the canonical content DescribeTaskDefinition then
# reported. A revision whose tags name another revision number (a console copy) is not ours.
SENT_DIGEST_TAG = "reconciler:sent-digest"
READBACK_TAG = "reconciler:readback"
# With the read-back: the fields AWS reported that were not sent (space-separated diff paths), so that a later
# change of the manifest does not show them as changes either. Not written when they do not fit a tag value.
AWS_FILLED_TAG = "reconciler:aws-filled"

RUN_RECORD_PREFIX = "reconciler:ran."  # on a task definition revision: "<digest> succeeded|failed ..."


def run_record_tag(task_name: str) -> str:
    """The tag key recording the last run of the one-off task `task_name` (AWS keys: 128 characters)."""
    import hashlib

    key = RUN_RECORD_PREFIX + task_name
    if len(key) <= 128:
        return key
    return RUN_RECORD_PREFIX + task_name[:96] + "." + hashlib.sha256(task_name.encode()).hexdigest()[:12]
