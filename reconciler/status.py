"""`reconciler status`: for each manifest, whether AWS is in sync with it and how healthy it is, and each cluster's
container instances. Built from a plan and the live state it was made from (and the container instances read for
it). Every row is masked (its detail
names fields, never their values, and the run's known secret values are redacted from its text)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from reconciler.loader import ManifestSet
from reconciler.model.keys import Kind
from reconciler.model.live import LiveState
from reconciler.model.manifest import content_digest, run_content
from reconciler.model.plan import Action, Plan
from reconciler.model.tags import FAILED_TASK_DEFINITION_TAG, run_record_tag
from reconciler.planning.mask import Masker
from reconciler.rollouts.observe import Phase, observe


@dataclass(frozen=True)
class ResourceStatus:
    kind: str
    name: str
    sync: str  # in-sync | out-of-sync | held | error | missing
    health: str  # healthy | progressing | degraded | missing | unknown
    detail: str = ""
    running: int | None = None
    desired: int | None = None
    revision: str | None = None
    events: list[str] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)  # a cluster's container instances

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "")}


def statuses(manifests: ManifestSet, plan: Plan, live: LiveState, masker: Masker | None = None,
             instances: dict[str, list[dict[str, Any]]] | None = None) -> list[ResourceStatus]:
    """One row per manifest; `instances` (cluster -> its container instances, see reconciler.live.container_instances)
    are listed on their Cluster's row."""
    masker = masker or Masker()
    rows = _statuses(manifests, masker.plan(plan), live)
    rows = [replace(r, instances=list((instances or {}).get(r.name, []))) if r.kind == Kind.CLUSTER.value else r
            for r in rows]
    return [ResourceStatus(**masker.value(asdict(row))) for row in rows]


def _statuses(manifests: ManifestSet, plan: Plan, live: LiveState) -> list[ResourceStatus]:
    by_key = manifests.by_key()
    out: list[ResourceStatus] = []
    for change in plan.changes:
        if change.key not in by_key:
            continue  # prune deletes are not manifests
        m = by_key[change.key]
        if change.blocked:
            sync = "error"
        elif change.held:
            sync = "held"
        elif change.action is Action.NOOP:
            sync = "in-sync"
        elif change.action is Action.CREATE and m.kind is not Kind.TASK:
            sync = "missing"
        else:
            sync = "out-of-sync"
        detail = change.blocked or change.held or change.reason or ", ".join(f.path for f in change.fields[:4])
        kind, name = m.kind.value, change.key.name
        if m.kind is Kind.SERVICE:
            service = live.services.get(change.key.name)
            if service is None:
                out.append(ResourceStatus(kind, name, sync, "missing", detail))
                continue
            status = observe(service.spec, None)
            health = {Phase.COMPLETED: "healthy", Phase.PROGRESSING: "progressing",
                      Phase.ROLLING_BACK: "progressing"}.get(status.phase, "degraded")
            if service.tags.get(FAILED_TASK_DEFINITION_TAG) and health == "healthy" and sync != "in-sync":
                health = "degraded"
                detail = f"last rollout of {service.tags[FAILED_TASK_DEFINITION_TAG].rsplit('/', 1)[-1]} failed"
            events = [str(e.get("message")) for e in (service.spec.get("events") or [])[:3]]
            out.append(ResourceStatus(kind, name, sync, health, detail or status.reason, status.running,
                                      status.desired, status.revision, events))
        elif m.kind is Kind.TASK:
            health, detail = _task_health(m, live, detail)
            out.append(ResourceStatus(kind, name, "in-sync" if sync == "in-sync" else sync, health, detail))
        else:
            exists = change.action is not Action.CREATE
            revision = None
            if m.kind is Kind.TASK_DEFINITION and exists:
                revision = live.task_definitions[m.name].arn.rsplit("/", 1)[-1]
            out.append(ResourceStatus(kind, name, sync, "healthy" if exists else "missing", detail,
                                      revision=revision))
    return out


def _task_health(m: Any, live: LiveState, detail: str) -> tuple[str, str]:
    ref = str(m.spec["taskDefinition"])
    arn = live.task_definitions[ref].arn if ref in live.task_definitions else live.task_definition_refs.get(ref)
    if not arn:
        return "unknown", detail
    record = live.task_definition_tags.get(arn, {}).get(run_record_tag(m.name), "")
    digest = content_digest(run_content({**m.spec, "taskDefinition": arn}, m.cluster))
    if not record.startswith(digest):
        return "unknown", detail or "not run for the current revision yet"
    if record.endswith("succeeded"):
        return "healthy", "last run succeeded"
    return "degraded", f"last run {record[17:]}"
