"""Read IAM instance profiles: path, the role each holds (by name) and tags."""

from __future__ import annotations

from typing import Any

from reconciler.aws.iam import IamApi
from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource, LiveState
from reconciler.model.tags import tags_to_map


def profile_spec(profile: dict[str, Any]) -> dict[str, Any]:
    spec = dict(profile)
    spec["Roles"] = [str(r.get("RoleName")) for r in profile.get("Roles") or []]
    return spec


def read(state: LiveState, names: list[str], iam: IamApi) -> None:
    for name in names:
        profile = iam.get_instance_profile(name)
        if profile is None:
            continue
        state.instance_profiles[name] = LiveResource(Kind.INSTANCE_PROFILE, name, str(profile["Arn"]),
                                                     profile_spec(profile), tags_to_map(profile.get("Tags")))
