"""The loop guard: never register a task definition revision whose content equals the one we registered last,
whatever DescribeTaskDefinition reports for it. Pure: decisions only, from the live revision's tags.

Why: AWS may report on a revision fields the registration did not send (`enableFaultInjection: false`, or any
field it starts to fill in next year). The ordinary diff shows them as drift; a new revision would report them
again; `watch` would register and roll out at every resync, forever.

How: the applier tags each revision it registers with the digest of the canonical content it sent
(`reconciler:sent-digest`, in the RegisterTaskDefinition request itself), then reads the revision back and tags
it with "<revision>:<digest of the canonical content AWS reports>" (`reconciler:readback`). At plan time the
latest revision is *ours, unchanged* when its sent digest equals the digest of what we would send now and its
read-back tag names this very revision: revisions are immutable, so whatever it reports beyond what was sent is
AWS's doing. The content diff is then no change. A console revision that copies our tags carries a read-back tag
naming another revision, so it is not ours and drift shows as usual. A revision registered before this feature
(no tags) gets the ordinary diff.

When the read-back tag is missing (a crash between RegisterTaskDefinition and the read-back) or AWS now reports
something else than when it was read back, the plan records the read-back (a tag, no new revision) and says
which fields AWS fills in: that is the one-time warning.

The fields AWS filled in are recorded too (`reconciler:aws-filled`): when the manifest changes later, the plan
shows the change, not those fields again (AWS fills them in on the next revision as well).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.model.keys import Kind
from reconciler.model.live import LiveResource
from reconciler.model.plan import Action, FieldChange, ResourceChange
from reconciler.model.tags import AWS_FILLED_TAG, READBACK_TAG, SENT_DIGEST_TAG
from reconciler.planning.normalize import canonical


def content_of(canonical_spec: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical task definition without its tags: what a revision consists of."""
    return {k: v for k, v in canonical_spec.items() if k != "tags"}


def content_digest(content: Mapping[str, Any]) -> str:
    """32 hex characters of SHA-256 over the canonical JSON of `content` (fits any tag value)."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:32]


def sent_digest(desired: Mapping[str, Any]) -> str:
    """The digest tagged on a revision at registration, from the canonical desired spec."""
    return content_digest(content_of(desired))


def revision_of(arn: str) -> str:
    """"7" from "arn:aws:ecs:...:task-definition/web:7"."""
    return arn.rsplit(":", 1)[-1]


def readback_value(arn: str, described: Mapping[str, Any]) -> str:
    """The read-back tag value for revision `arn` from its raw DescribeTaskDefinition output."""
    return f"{revision_of(arn)}:{content_digest(content_of(canonical(Kind.TASK_DEFINITION, described)))}"


def filled_value(paths: list[str]) -> str | None:
    """The AWS_FILLED_TAG value for these diff paths, or None when they do not fit a tag value."""
    value = " ".join(paths)
    return value if len(value) <= 256 and all(" " not in p for p in paths) else None


def _read_back_here(tags: Mapping[str, str], arn: str) -> bool:
    readback = tags.get(READBACK_TAG)
    return readback is not None and readback.split(":", 1)[0] == revision_of(arn)


def is_ours(tags: Mapping[str, str], arn: str, desired: Mapping[str, Any]) -> bool:
    """The revision was registered by us from the content we would send now (and is not a copy of one)."""
    if tags.get(SENT_DIGEST_TAG) != sent_digest(desired):
        return False
    return READBACK_TAG not in tags or _read_back_here(tags, arn)


def guard(change: ResourceChange, current: LiveResource | None) -> ResourceChange:
    """The task definition change once the loop guard has looked at it (`current` as read, unnormalised)."""
    if current is None or change.action is not Action.UPDATE or change.desired is None:
        return change
    content = [f for f in change.fields if not f.path.startswith("tags")]
    if not content:
        return change
    tags = [f for f in change.fields if f.path.startswith("tags")]
    if not is_ours(current.tags, current.arn, change.desired):
        if not _read_back_here(current.tags, current.arn):
            return change
        # Our revision, of other content: the manifest changed. What AWS filled in is not part of the change.
        aws_filled = set(current.tags.get(AWS_FILLED_TAG, "").split())
        kept = [f for f in content if not (f.path in aws_filled and f.after is None)]
        return ResourceChange(**{**change.__dict__, "fields": (*kept, *tags)}) if kept else change
    filled = [f.path for f in content]
    recorded = current.tags.get(READBACK_TAG)
    now = readback_value(current.arn, current.spec)
    if recorded == now:
        if not tags:
            return ResourceChange(**{**change.__dict__, "action": Action.NOOP, "fields": (),
                                     "reason": f"AWS reports {', '.join(filled)}, not sent: not a change"})
        return ResourceChange(**{**change.__dict__, "fields": tuple(tags), "reason": "retags the latest revision"})
    record = [FieldChange(f"tags[{READBACK_TAG}]", recorded, now)]
    known = filled_value(filled)
    if known is not None and known != current.tags.get(AWS_FILLED_TAG):
        record.append(FieldChange(f"tags[{AWS_FILLED_TAG}]", current.tags.get(AWS_FILLED_TAG), known))
    reason = (f"records what AWS reports for the revision it registered ({', '.join(filled)}: not sent, filled in "
              "by AWS); no new revision")
    return ResourceChange(**{**change.__dict__, "fields": (*tags, *record), "reason": reason})
