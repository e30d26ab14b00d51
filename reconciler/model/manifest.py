"""A validated manifest: what the loader hands to planning."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.model.keys import Kind, ResourceKey, SourceRef

ANNOTATION_PREFIX = "reconciler.io/"
ADOPT_ANNOTATION = "reconciler.io/adopt"
ROLLBACK_ANNOTATION = "reconciler.io/rollback"  # "false": do not roll back a failed rollout
ROLLOUT_TIMEOUT_ANNOTATION = "reconciler.io/rollout-timeout"  # e.g. "15m", "900s", "900"
# Repositories: what --prune does once the manifest left git. retain (default): keep it; delete: delete it
# when it holds no images; force: delete it with its images.
DELETION_POLICY_ANNOTATION = "reconciler.io/deletion-policy"
DELETION_POLICIES = ("retain", "delete", "force")
SUSPEND_ANNOTATION = "reconciler.io/suspend"  # "true": watch reports drift for this resource, changes nothing
# Auto Scaling groups: how long a container instance may take to drain (default: --timeout), and how many old
# instances are drained at once when instances are replaced or scaled in (default 1).
DRAIN_TIMEOUT_ANNOTATION = "reconciler.io/drain-timeout"
BATCH_SIZE_ANNOTATION = "reconciler.io/replace-batch-size"


HOOK_FIELDS = ("runBefore", "runAfter", "timeoutSeconds")  # Task fields that are not RunTask input


def run_content(spec: dict[str, Any], cluster: str) -> dict[str, Any]:
    """What a one-off task run consists of: RunTask input with the resolved task definition ARN."""
    return {**{k: v for k, v in spec.items() if k not in HOOK_FIELDS and k != "cluster"}, "cluster": cluster}


def content_digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "15m" or "1h"."""
    value = text.strip().lower()
    factor = {"s": 1, "m": 60, "h": 3600}.get(value[-1:], 0)
    number = value[:-1] if factor else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 1h)") from None
    if seconds <= 0:
        raise ValueError(f"not a positive duration: {text!r}")
    return seconds


BOOLEAN_ANNOTATIONS = (ADOPT_ANNOTATION, ROLLBACK_ANNOTATION, SUSPEND_ANNOTATION)
DURATION_ANNOTATIONS = (ROLLOUT_TIMEOUT_ANNOTATION, DRAIN_TIMEOUT_ANNOTATION)
COUNT_ANNOTATIONS = (BATCH_SIZE_ANNOTATION,)

# Every reconciler.io/ annotation the product reads, and the kinds it means something on (None: any kind).
KNOWN_ANNOTATIONS: dict[str, frozenset[Kind] | None] = {
    ADOPT_ANNOTATION: None,
    SUSPEND_ANNOTATION: None,
    ROLLBACK_ANNOTATION: frozenset({Kind.SERVICE}),
    ROLLOUT_TIMEOUT_ANNOTATION: frozenset({Kind.SERVICE}),
    DELETION_POLICY_ANNOTATION: frozenset({Kind.REPOSITORY}),
    DRAIN_TIMEOUT_ANNOTATION: frozenset({Kind.AUTO_SCALING_GROUP}),
    BATCH_SIZE_ANNOTATION: frozenset({Kind.AUTO_SCALING_GROUP}),
}


def annotation_problems(annotations: dict[str, str]) -> list[tuple[str, str]]:
    """(annotation, problem) for reconciler.io/ annotations with values we cannot use."""
    problems = []
    for name, value in annotations.items():
        if name in BOOLEAN_ANNOTATIONS and value.strip().lower() not in {"true", "false", "yes", "no", "1", "0"}:
            problems.append((name, f"expected \"true\" or \"false\", got {value!r}"))
        elif name == DELETION_POLICY_ANNOTATION and value not in DELETION_POLICIES:
            problems.append((name, f"expected one of {', '.join(DELETION_POLICIES)}, got {value!r}"))
        elif name in COUNT_ANNOTATIONS and not (value.strip().isdigit() and 1 <= int(value.strip()) <= 1000):
            problems.append((name, f"expected a whole number from 1 to 1000, got {value!r}"))
        elif name in DURATION_ANNOTATIONS:
            try:
                parse_duration(value)
            except ValueError as exc:
                problems.append((name, str(exc)))
    return problems


def annotation_warnings(annotations: Iterable[str], kind: Kind) -> list[tuple[str, str]]:
    """(annotation, warning) for reconciler.io/ annotations that do nothing: unknown (a typo, with a "did you
    mean"), or known but read on other kinds only."""
    out = []
    for name in annotations:
        if not name.startswith(ANNOTATION_PREFIX):
            continue
        if name not in KNOWN_ANNOTATIONS:
            hint = difflib.get_close_matches(name, list(KNOWN_ANNOTATIONS), n=1, cutoff=0.75)
            message = f"unknown annotation {name!r} is ignored"
            message += f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(KNOWN_ANNOTATIONS)})"
            out.append((name, message))
        elif (kinds := KNOWN_ANNOTATIONS[name]) is not None and kind not in kinds:
            on = ", ".join(sorted(k.value for k in kinds))
            out.append((name, f"annotation {name!r} has no effect on a {kind.value} (only on: {on})"))
    return out


@dataclass(frozen=True)
class Manifest:
    kind: Kind
    name: str
    spec: dict[str, Any]  # the AWS API input as the user wrote it (validated, types coerced, no nulls)
    source: SourceRef
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> ResourceKey:
        if self.kind is Kind.SERVICE:
            return ResourceKey(self.kind, f"{self.cluster}/{self.name}")
        return ResourceKey(self.kind, self.name)

    @property
    def cluster(self) -> str:
        """For services and tasks: the cluster name (an ARN in spec.cluster is reduced to its name)."""
        ref = str(self.spec.get("cluster") or "default")
        return ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref

    @property
    def digest(self) -> str:
        """A short, stable digest of what the manifest asks for."""
        return content_digest([self.kind.value, self.name, self.spec])

    def meta_tags(self) -> dict[str, str]:
        """Our bookkeeping tags that follow from the manifest (beyond ownership)."""
        from reconciler.model.tags import DELETION_POLICY_TAG, TAG_KEYS_TAG, spec_tags, user_tags

        out: dict[str, str] = {}
        policy = self.annotations.get(DELETION_POLICY_ANNOTATION)
        if self.kind is Kind.REPOSITORY and policy:
            out[DELETION_POLICY_TAG] = policy
        if self.kind not in (Kind.TASK_DEFINITION, Kind.TASK):
            keys = " ".join(sorted(user_tags(spec_tags(self.kind, self.spec))))
            if keys and len(keys) <= 256 and all(c.isalnum() or c in " _.:/=+-@" for c in keys):
                out[TAG_KEYS_TAG] = keys  # (keys that do not fit a tag value are simply not tracked)
        return out

    def rollout_timeout(self, default: float) -> float:
        value = self.annotations.get(ROLLOUT_TIMEOUT_ANNOTATION)
        return parse_duration(value) if value else default

    def drain_timeout(self, default: float) -> float:
        value = self.annotations.get(DRAIN_TIMEOUT_ANNOTATION)
        return parse_duration(value) if value else default

    def batch_size(self) -> int:
        value = self.annotations.get(BATCH_SIZE_ANNOTATION, "").strip()
        return int(value) if value.isdigit() and int(value) >= 1 else 1

    def annotation_false(self, name: str) -> bool:
        return self.annotations.get(name, "").strip().lower() in {"false", "no", "0", "off"}

    def annotation_true(self, name: str) -> bool:
        return self.annotations.get(name, "").strip().lower() in {"true", "yes", "1"}


def service_key(ref: str, manifests: Iterable[Manifest]) -> ResourceKey | None:
    """The Service manifest a hook names: "name" (unique across clusters) or "cluster/name"."""
    services = [m for m in manifests if m.kind is Kind.SERVICE]
    if "/" in ref:
        found = [m for m in services if f"{m.cluster}/{m.name}" == ref]
    else:
        found = [m for m in services if m.name == ref]
    return found[0].key if len(found) == 1 else None
