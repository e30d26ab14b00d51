"""What every applier needs: the AWS APIs, the live state the plan was made from, and values that
earlier steps produced (the ARNs of task definition revisions registered during this apply)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.capacity import CapacityApis
from reconciler.aws.ecr import EcrApi
from reconciler.aws.ecs import EcsApi
from reconciler.errors import AwsError
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.manifest import Manifest
from reconciler.model.plan import ResourceChange
from reconciler.model.tags import REGION_TAG, ownership_tags, spec_tags, user_tags
from reconciler.rollouts.wait import DEFAULT_TIMEOUT_SECONDS, Reporter, RolloutResult, RolloutTarget


@dataclass
class ApplyContext:
    ecs: EcsApi
    ecr: EcrApi
    live: LiveState
    owner: str
    registered: dict[str, str] = field(default_factory=dict)  # family -> ARN registered in this apply
    rollouts: list[RolloutTarget] = field(default_factory=list)  # services whose rollout to wait for
    rollout_timeout: float = DEFAULT_TIMEOUT_SECONDS
    rollout_results: dict[ResourceKey, RolloutResult] = field(default_factory=dict)  # already waited for
    reporter: Reporter | None = None
    manifests: tuple[Manifest, ...] = ()
    should_stop: Callable[[], bool] = lambda: False  # set on SIGTERM: no new change is started
    extra_tags: dict[str, str] = field(default_factory=dict)  # e.g. the git commit, on what this apply changes
    replace_wait_seconds: float = 600.0
    poll_seconds: float = 2.0
    # EC2 capacity: its APIs, the region (tagged on IAM resources), the launch template versions created in this
    # apply (name -> version number) and how many versions of a template to keep.
    capacity: CapacityApis | None = None
    region: str = ""
    template_versions: dict[str, int] = field(default_factory=dict)
    keep_versions: int = 5

    @property
    def apis(self) -> CapacityApis:
        if self.capacity is None:
            raise RuntimeError("EC2 capacity changes need the capacity APIs (ApplyContext.capacity)")
        return self.capacity

    def tags_for(self, m: Manifest) -> dict[str, str]:
        """The user's tags plus our ownership tags."""
        region = {REGION_TAG: self.region} if m.kind in (Kind.ROLE, Kind.INSTANCE_PROFILE) and self.region else {}
        return {**user_tags(spec_tags(m.kind, m.spec)), **ownership_tags(self.owner, m.kind.value, m.name),
                **m.meta_tags(), **region, **self.extra_tags}


def wait_until(done: Callable[[], bool], ctx: ApplyContext, operation: str, what: str, resource: str) -> None:
    """Poll `done` every `poll_seconds` until it holds; a Timeout naming `what` after `rollout_timeout`."""
    deadline = time.monotonic() + ctx.rollout_timeout
    while not done():
        if time.monotonic() > deadline:
            raise AwsError(operation, "Timeout", f"{what} after {ctx.rollout_timeout:.0f}s", resource)
        time.sleep(ctx.poll_seconds)


def changed_fields(change: ResourceChange) -> set[str]:
    """Top-level spec fields a change touches ("tags" for any tag)."""
    return {f.path.split(".")[0].split("[")[0] for f in change.fields}


def removed_tags(change: ResourceChange) -> list[str]:
    """Tag keys the change removes: `tags[key]` going to null, or the whole `tags` map going away."""
    keys: list[str] = []
    for f in change.fields:
        if f.after is not None:
            continue
        if f.path == "tags" and isinstance(f.before, Mapping):
            keys.extend(str(k) for k in f.before)
        elif f.path.startswith("tags[") and f.path.endswith("]"):
            keys.append(f.path[5:-1])
    return keys


def deep_merge(base: Any, overlay: Any) -> Any:
    """`overlay` on top of `base`, map by map: members the manifest leaves out keep their live value."""
    if isinstance(base, Mapping) and isinstance(overlay, Mapping):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = deep_merge(base.get(key), value)
        return out
    return overlay


def client_token(*parts: Any) -> str:
    """A deterministic idempotency token (AWS allows up to 36 ASCII characters)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:32]
