"""The loop guard of launch templates: never create a version whose content equals the one we created last,
whatever DescribeLaunchTemplateVersions reports for it. Pure.

A launch template version is immutable, like a task definition revision, and EC2 may report fields that were not
sent. Each version reconciler creates carries, in its VersionDescription (kept by EC2 per version), the digest of
the canonical data it was created from: `reconciler:sent-digest=<digest>`. While the default version carries the
digest of what the manifest asks for now, its data is no change, whatever EC2 reports. A version made by anyone
else (no such description) is compared field by field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from reconciler.model.live import LiveResource
from reconciler.model.plan import Action, ResourceChange

DATA = "LaunchTemplateData"
_DESCRIPTION = re.compile(r"reconciler:sent-digest=([0-9a-f]{32})")


def sent_digest(desired: Mapping[str, Any]) -> str:
    """32 hex characters of SHA-256 over the canonical launch template data of a canonical desired spec."""
    return hashlib.sha256(json.dumps(desired.get(DATA), sort_keys=True, default=str).encode()).hexdigest()[:32]


def description(digest: str) -> str:
    """The VersionDescription of a version reconciler creates (EC2 allows 255 characters)."""
    return f"reconciler:sent-digest={digest}"


def recorded_digest(text: str) -> str | None:
    match = _DESCRIPTION.search(text or "")
    return match.group(1) if match else None


def guard(change: ResourceChange, current: LiveResource | None) -> ResourceChange:
    """The launch template change once the guard has looked at the default version's description."""
    if current is None or change.action is not Action.UPDATE or change.desired is None:
        return change
    content = [f for f in change.fields if f.path == DATA or f.path.startswith(DATA + ".")]
    others = tuple(f for f in change.fields if f not in content)
    default = current.detail.get("default")
    if not content:
        return ResourceChange(**{**change.__dict__, "reason": "retags the template"})
    if recorded_digest(str(current.detail.get("description", ""))) == sent_digest(change.desired):
        filled = ", ".join(f.path for f in content)
        if not others:
            return ResourceChange(**{**change.__dict__, "action": Action.NOOP, "fields": (),
                                     "reason": f"version {default} was created from this content; EC2 reports "
                                               f"{filled} otherwise: not a change"})
        return ResourceChange(**{**change.__dict__, "fields": others, "reason": "retags the template"})
    latest = int(current.detail.get("latest") or default or 0)
    return ResourceChange(**{**change.__dict__,
                             "reason": f"creates version {latest + 1} and makes it the default (was {default})"})


def creates_version(change: ResourceChange | None) -> bool:
    """Whether applying `change` creates a new version (a template that does not exist yet creates version 1)."""
    if change is None or change.action is Action.NOOP:
        return False
    if change.action is Action.CREATE:
        return True
    return any(f.path == DATA or f.path.startswith(DATA + ".") for f in change.fields)
