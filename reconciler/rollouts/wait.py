"""Wait for rollouts to finish, all services at once, each on its own deadline.

One loop polls every waiting service (DescribeServices, ten per call, the calls at once), reports progress and each new
service event once, and settles each service independently: completed; failed, with the reason taken
from the deployment, the events and the stopped tasks; rolled back (by ECS's circuit breaker, or by us
to the revision that was running before, when rollback is on). A failed revision is marked on the
service (tags), so later plans hold it instead of retrying it in a loop until the manifest changes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from reconciler.aws.ecs import DESCRIBE_SERVICES_BATCH, EcsApi
from reconciler.errors import AwsError
from reconciler.live.parallel import gather
from reconciler.model.keys import ResourceKey
from reconciler.model.tags import FAILED_SPEC_TAG, FAILED_TASK_DEFINITION_TAG, GOOD_REVISIONS_KEPT, GOOD_REVISIONS_TAG
from reconciler.rollouts.observe import Phase, RolloutStatus, observe, short_revision

DEFAULT_TIMEOUT_SECONDS = 600.0  # as long as AWS's own services-stable waiter


@dataclass(frozen=True)
class RolloutTarget:
    key: ResourceKey
    cluster: str
    service: str
    desired_task_definition: str | None
    previous_task_definition: str | None = None  # running and stable before this apply: the rollback target
    rollback: bool = True
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    spec_digest: str = ""


@dataclass(frozen=True)
class RolloutResult:
    key: ResourceKey
    ok: bool
    phase: Phase
    message: str
    task_definition: str = ""


class Reporter(Protocol):
    def progress(self, target: RolloutTarget, status: RolloutStatus) -> None: ...

    def event(self, target: RolloutTarget, message: str) -> None: ...


@dataclass
class _Tracking:
    target: RolloutTarget
    deadline: float
    since: datetime
    seen: set[str] = field(default_factory=set)
    rollback_to: str | None = None
    failure: str = ""


class RolloutWatcher:
    """Rollouts being watched. `poll()` checks each once (one DescribeServices per ten services) and
    returns those that settled; the controller calls it once per pass, `wait_for_rollouts` in a loop."""

    def __init__(self, ecs: EcsApi, reporter: Reporter | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ecs = ecs
        self.reporter = reporter
        self.clock = clock
        self.tracking: dict[ResourceKey, _Tracking] = {}

    def add(self, target: RolloutTarget) -> None:
        since = datetime.now(UTC) - timedelta(seconds=5)
        self.tracking[target.key] = _Tracking(target, self.clock() + target.timeout, since)

    @property
    def pending(self) -> list[ResourceKey]:
        return list(self.tracking)

    def poll(self) -> list[RolloutResult]:
        settled: list[RolloutResult] = []
        clusters: dict[str, list[_Tracking]] = {}
        for t in self.tracking.values():
            clusters.setdefault(t.target.cluster, []).append(t)
        batches: list[tuple[str, list[str]]] = []
        for cluster, group in sorted(clusters.items()):
            names = sorted({t.target.service for t in group})
            batches += [(cluster, names[i : i + DESCRIBE_SERVICES_BATCH])
                        for i in range(0, len(names), DESCRIBE_SERVICES_BATCH)]
        found = gather([partial(self.ecs.describe_services, cluster, names) for cluster, names in batches])
        by_cluster: dict[str, dict[str, Mapping[str, Any]]] = {}
        for (cluster, _), services in zip(batches, found, strict=True):
            by_cluster.setdefault(cluster, {}).update(services)
        for cluster, group in sorted(clusters.items()):
            described = by_cluster.get(cluster, {})
            for t in group:
                service = described.get(t.target.service)
                result = _step(t, service, self.ecs, self.reporter, self.clock())
                if result is not None:
                    _mark(self.ecs, t, service, result)
                    settled.append(result)
                    del self.tracking[t.target.key]
        return settled


def wait_for_rollouts(
    targets: list[RolloutTarget],
    ecs: EcsApi,
    *,
    reporter: Reporter | None = None,
    poll_seconds: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[RolloutResult]:
    """Block until every rollout settled (completed, failed and perhaps rolled back, or timed out)."""
    watcher = RolloutWatcher(ecs, reporter, clock)
    for target in targets:
        watcher.add(target)
    results: dict[ResourceKey, RolloutResult] = {}
    while True:
        for result in watcher.poll():
            results[result.key] = result
        if not watcher.pending:
            break
        sleep(poll_seconds)
    return [results[t.key] for t in targets]


def _step(t: _Tracking, service: Mapping[str, Any] | None, ecs: EcsApi, reporter: Reporter | None,
          now: float) -> RolloutResult | None:
    target = t.target
    if service is None:
        return RolloutResult(target.key, False, Phase.FAILED, "the service no longer exists")
    for message in _new_events(t, service):
        if reporter:
            reporter.event(target, message)
    expected = t.rollback_to or target.desired_task_definition
    status = observe(service, expected)
    if reporter:
        reporter.progress(target, status)
    timed_out = now >= t.deadline
    wanted = short_revision(target.desired_task_definition or status.task_definition)

    if t.rollback_to:  # our own rollback is in flight
        if status.phase is Phase.COMPLETED:
            return _failed(t, status, f"{t.failure}; rolled back to {short_revision(t.rollback_to)} "
                                      f"({status.running}/{status.desired} running)", Phase.ROLLED_BACK)
        if status.phase in (Phase.FAILED, Phase.ROLLED_BACK) or timed_out:
            why = status.reason or f"not stable after {t.target.timeout:.0f}s"
            return _failed(t, status, f"{t.failure}; the rollback to {short_revision(t.rollback_to)} failed "
                                      f"too: {why}")
        return None

    if status.phase is Phase.COMPLETED:
        return RolloutResult(target.key, True, status.phase,
                             f"{status.revision}: {status.running}/{status.desired} running", status.task_definition)
    if status.phase is Phase.ROLLED_BACK:
        reason = _with_task_reasons(f"rollout of {wanted} failed: {status.reason}", ecs, target)
        return _failed(t, status, f"{reason}; ECS rolled back to {status.revision} "
                                  f"({status.running}/{status.desired} running)", Phase.ROLLED_BACK)
    if status.phase is Phase.ROLLING_BACK and not timed_out:
        return None
    if status.phase is Phase.PROGRESSING and not timed_out:
        return None
    if status.phase is Phase.FAILED:
        reason = f"rollout of {wanted} failed: {status.reason}"
    else:
        events: list[Mapping[str, Any]] = list(service.get("events") or [])
        last = str(events[0].get("message", "")) if events else ""
        reason = (f"rollout of {wanted} timed out after {target.timeout:.0f}s with {status.running}/"
                  f"{status.desired} running" + (f"; last event: {last}" if last else ""))
    reason = _with_task_reasons(reason, ecs, target)
    previous = target.previous_task_definition
    if target.rollback and previous and previous != target.desired_task_definition:
        try:
            ecs.update_service(cluster=target.cluster, service=target.service, taskDefinition=previous)
        except AwsError as exc:
            return _failed(t, status, f"{reason}; rolling back to {short_revision(previous)} failed: {exc}")
        if reporter:
            reporter.event(target, f"rolling back to {short_revision(previous)}: {reason}")
        t.rollback_to, t.failure, t.deadline = previous, reason, now + target.timeout
        return None
    if not target.rollback:
        return _failed(t, status, f"{reason}; rollback is off (reconciler.io/rollback: \"false\")")
    return _failed(t, status, f"{reason}; no earlier revision known to be good to roll back to")


def _failed(t: _Tracking, status: RolloutStatus, message: str, phase: Phase = Phase.FAILED) -> RolloutResult:
    return RolloutResult(t.target.key, False, phase, message, status.task_definition)


def _new_events(t: _Tracking, service: Mapping[str, Any]) -> list[str]:
    fresh = []
    for event in reversed(service.get("events") or []):  # AWS lists the newest first
        event_id = str(event.get("id", event.get("message")))
        created = event.get("createdAt")
        if event_id in t.seen:
            continue
        t.seen.add(event_id)
        if isinstance(created, datetime) and created.astimezone(UTC) < t.since:
            continue
        fresh.append(str(event.get("message", "")))
    return fresh


def _with_task_reasons(reason: str, ecs: EcsApi, target: RolloutTarget) -> str:
    found = stopped_task_reasons(ecs, target.cluster, target.service, target.desired_task_definition)
    return f"{reason}; {found}" if found else reason


def stopped_task_reasons(ecs: EcsApi, cluster: str, service: str, task_definition: str | None) -> str:
    """Why the service's tasks (of `task_definition`) stopped, most common first."""
    try:
        arns = ecs.list_tasks(cluster, service=service, desired_status="STOPPED")[:100]
        tasks = ecs.describe_tasks(cluster, arns) if arns else []
    except AwsError:
        return ""
    reasons: Counter[str] = Counter()
    for task in tasks:
        if task_definition and task.get("taskDefinitionArn") != task_definition:
            continue
        parts = [str(task.get("stoppedReason") or task.get("stopCode") or "stopped")]
        for container in task.get("containers", []):
            code, why = container.get("exitCode"), container.get("reason")
            if (code not in (None, 0)) or why:
                name = str(container.get("name"))
                detail = f"{name}: exit code {code}" if code is not None else name
                parts.append(detail + (f" ({why})" if why else ""))
        reasons[", ".join(parts)] += 1
    return "; ".join(f"{n} task{'s' if n > 1 else ''} stopped: {r}" for r, n in reasons.most_common(3))


def _mark(ecs: EcsApi, t: _Tracking, service: Mapping[str, Any] | None, result: RolloutResult) -> None:
    """Remember a failed revision on the service; forget it after a success."""
    if service is None or not t.target.desired_task_definition:
        return
    arn = str(service["serviceArn"])
    tags = {str(x.get("key")): str(x.get("value")) for x in service.get("tags") or []}
    try:
        if result.ok:
            stale = [k for k in (FAILED_TASK_DEFINITION_TAG, FAILED_SPEC_TAG) if k in tags]
            ecs.untag_resource(arn, stale, str(t.target.key))
            revision = short_revision(result.task_definition)
            earlier = [r for r in tags.get(GOOD_REVISIONS_TAG, "").split() if r != revision]
            good = " ".join([revision, *earlier][:GOOD_REVISIONS_KEPT])
            if tags.get(GOOD_REVISIONS_TAG) != good:
                ecs.tag_resource(arn, {GOOD_REVISIONS_TAG: good}, str(t.target.key))
        elif result.phase in (Phase.ROLLED_BACK, Phase.FAILED):
            ecs.tag_resource(arn, {FAILED_TASK_DEFINITION_TAG: t.target.desired_task_definition,
                                   FAILED_SPEC_TAG: t.target.spec_digest}, str(t.target.key))
    except AwsError:
        pass  # the result already says what happened; a missing marker only means a retry next time
