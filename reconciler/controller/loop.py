"""The controller loop. Level-triggered: every pass reads the whole desired state (one snapshot of the
source) and the live state, plans and applies. Passes run at start, on a change of the source, on the
resync interval (which finds and corrects drift made outside git), and when a backed-off resource is due.
Rollouts are not waited for: the services are polled between passes, so one slow rollout holds up
nothing else. Failures back off per resource; bad input waits for new input."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import structlog

from reconciler import loader, log, pipeline
from reconciler.controller.backoff import Backoff
from reconciler.controller.live_rollouts import LiveRollouts
from reconciler.controller.metrics import Metrics
from reconciler.controller.notify import Notifier
from reconciler.controller.shards import all_shards, shard_of_key
from reconciler.controller.sources import Snapshot, SourceError
from reconciler.controller.state import ControllerState
from reconciler.controller.transitions import Transitions, unreachable
from reconciler.errors import AwsError, ManifestError, ReconcilerError
from reconciler.model.keys import Kind
from reconciler.model.manifest import SUSPEND_ANNOTATION
from reconciler.model.plan import Plan, ResourceChange
from reconciler.planning import render
from reconciler.planning.mask import secret_values
from reconciler.rollouts.wait import RolloutResult, RolloutWatcher
from reconciler.status import statuses
from reconciler.variables import Variables

COMMIT_TAG = "reconciler:git-commit"
FIELDS_PER_ROW = 50  # the field diff published per out-of-sync resource


class Source(Protocol):
    def describe(self) -> str: ...

    def snapshot(self) -> Snapshot: ...

    def watch(self, stop: threading.Event, wake: threading.Event) -> threading.Thread: ...


class Shards(Protocol):
    """Leases on shards shared with other watchers (locking.ShardLeases)."""

    shards: list[str]
    lease_seconds: float

    def refresh(self) -> set[str]: ...

    def held(self) -> set[str]: ...

    def check(self, shard: str) -> None: ...

    def release_all(self) -> None: ...


@dataclass
class WatchSettings:
    options: pipeline.PlanOptions
    variables: Mapping[str, str] | Variables = field(default_factory=dict)  # --var values, or a Variables
    resync: float = 300.0
    requeue: float = 10.0  # how often rollouts in progress are checked
    suspend: bool = False
    allow_empty: bool = False
    rollout_timeout: float = 600.0
    poll_seconds: float = 2.0


class Controller:
    def __init__(self, source: Source, conn: pipeline.Connection, settings: WatchSettings,
                 metrics: Metrics | None = None, state: ControllerState | None = None,
                 shards: Shards | None = None, clock: Callable[[], float] = time.monotonic,
                 notifier: Notifier | None = None) -> None:
        self.source = source
        self.conn = conn
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.state = state or ControllerState()
        self.shards = shards
        self.clock = clock
        self.backoff = Backoff(clock=clock)
        self.live = LiveRollouts(self.state)  # rollouts' live counts, published as they are polled
        self.watcher = RolloutWatcher(conn.ecs, self.live)
        self.transitions = Transitions(source.describe())  # what notifications and the page's activity say
        self.notifier = notifier
        self.failures: dict[str, str] = {}  # resource -> why its last apply or rollout failed (until one works)
        self.apply_failed: set[str] = set()  # resources whose last apply failed (retried after a backoff)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.passes = 0
        self.applied_revision: str | None = None
        self.held_for_rollout: set[Any] = set()  # changes a pass held while their service was rolling out
        self.acting_shards: set[str] = set()  # the shards the current pass acts on (fenced)
        self.known_shards: set[str] = set()
        self.requeue_pass = False  # a rollout we held changes for settled: pass again now
        self.warned: set[str] = set()  # warnings already logged (each is logged once while it lasts)
        log.add_patterns(settings.options.sensitive_patterns)
        self.state.source = source.describe()
        self.state.suspended = settings.suspend

    # --- the loop ---------------------------------------------------------------------------------
    def run(self) -> None:
        """Until `stop` is set: pass at start, then on change, on resync, on requeue."""
        self.source.watch(self.stop, self.wake)
        next_resync = self.clock() + self.settings.resync
        reason = "start"
        while not self.stop.is_set():
            self.reconcile_once(reason)
            if reason == "resync" or reason == "start":
                next_resync = self.clock() + self.settings.resync
            while not self.stop.is_set():
                self.state.heartbeat = time.monotonic()
                waits = [next_resync - self.clock()]
                if self.watcher.pending:
                    waits.append(self.settings.requeue)
                due = self.backoff.next_due()
                if due is not None:
                    waits.append(due)
                if self.shards is not None:
                    waits.append(self.shards.lease_seconds / 3)
                woke = self.wake.wait(max(0.05, min(waits)))
                if self.stop.is_set():
                    break
                if woke:
                    self.wake.clear()
                    # The page's "sync now" only wakes the loop (a request made during a pass gets one more).
                    reason = "ui" if self.state.sync_requested else "change"
                    break
                if self.clock() >= next_resync:
                    reason = "resync"
                    break
                if due is not None and self.backoff.next_due() is None:
                    reason = "backoff"  # the earliest wait we slept for is over
                    break
                self._poll_rollouts()
                if self.shards is not None and self._renew_shards():
                    reason = "takeover"
                    break
                if self.requeue_pass:
                    self.requeue_pass = False
                    reason = "requeue"
                    break
        if self.shards is not None:
            self.shards.release_all()

    # --- one pass ---------------------------------------------------------------------------------
    def reconcile_once(self, reason: str = "manual") -> dict[str, Any]:
        self.passes += 1
        started = self.clock()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(pass_id=f"{self.passes}-{uuid.uuid4().hex[:6]}", trigger=reason)
        summary: dict[str, Any] = {"trigger": reason, "startedAt": time.time()}
        calls_before, attempts_before = self.conn.clients.calls.snapshot()
        self.state.pass_running = True
        self.state.sync_requested = False  # this pass answers any "sync now" made before it started
        try:
            summary |= self._pass(reason)
            result = "error" if summary.get("errors") else "success"
        except ManifestError as exc:
            for problem in exc.problems:
                log.get().error("Invalid manifest; nothing changed until it is fixed", problem=problem.render())
            self._log_warnings([w.render() for w in exc.warnings])
            self.metrics.errors.labels(stage="load").inc()
            summary |= {"errors": [p.render() for p in exc.problems], "stage": "load"}
            result = "error"
        except (SourceError, AwsError) as exc:
            log.get().error("Pass failed", error=str(exc))
            self.metrics.errors.labels(stage="source" if isinstance(exc, SourceError) else "plan").inc()
            summary |= {"errors": [str(exc)]}
            if unreachable(exc):
                summary |= {"awsReachable": False, "awsUnreachable": str(exc)}
            result = "error"
        except ReconcilerError as exc:
            log.get().error("Pass failed", error=str(exc))
            self.metrics.errors.labels(stage="pass").inc()
            summary |= {"errors": [str(exc)]}
            result = "error"
        except Exception as exc:  # the one place that catches everything: a bug must not kill the controller
            log.get().exception("Pass crashed", error=repr(exc))
            self.metrics.errors.labels(stage="bug").inc()
            summary |= {"errors": [repr(exc)]}
            result = "error"
        duration = self.clock() - started
        calls_after, attempts_after = self.conn.clients.calls.snapshot()
        by_operation = dict(sorted((calls_after - calls_before).items()))
        summary |= {"result": result, "durationSeconds": round(duration, 3),
                    "awsCalls": sum(by_operation.values()), "awsCallsByOperation": by_operation,
                    "awsAttempts": attempts_after - attempts_before}
        self.metrics.passes.labels(result=result).inc()
        self.metrics.duration.observe(duration)
        if result == "success":
            self.metrics.last_success.set(time.time())
        self.state.last_pass = log.masker().value(summary)
        self.state.pass_running = False
        self.state.ready = True
        self.metrics.ready.set(1)
        failing = [log.redact(f"{k}: {self.failures[k]}") for k in sorted(self.apply_failed) if k in self.failures]
        try:
            self._announce(self.transitions.after_pass(self.state.last_pass, self.state.resources,
                                                       revision=self.state.revision, failing=failing,
                                                       corrected=bool(summary.get("driftCorrected"))))
        except Exception as exc:  # telling people must never stop the controller
            log.get().exception("Could not announce the pass", error=repr(exc))
        log.get().info("Pass done", result=result, seconds=round(duration, 2), changes=summary.get("applied", 0))
        structlog.contextvars.clear_contextvars()
        return summary

    def _pass(self, reason: str) -> dict[str, Any]:
        self.backoff.expire()
        snapshot = self.source.snapshot()
        if snapshot.revision:
            structlog.contextvars.bind_contextvars(revision=snapshot.revision[:12])
            self.state.revision = snapshot.revision
        masker = log.masker()
        given = self.settings.variables
        log.remember(v for k, v in (given.given if isinstance(given, Variables) else given).items()
                     if masker.secret(k))
        manifests = loader.load(snapshot.paths, self.settings.variables, allow_empty=self.settings.allow_empty)
        known = {str(m.key) for m in manifests.manifests}  # a failure of what left git is no longer news
        self.failures = {k: v for k, v in self.failures.items() if k in known}
        self.apply_failed &= known
        log.remember(secret_values(manifests.manifests, masker))
        held_shards = self._refresh_shards(manifests)
        if self.watcher.pending:
            self._poll_rollouts()  # a rollout that settled since the last poll must not hold this pass back
        plan, live = pipeline.plan(manifests, self.conn, self.settings.options)
        plan = self._mine(plan, manifests, held_shards)
        drift = [c for c in plan.changes if c.is_change]
        self.metrics.drifted.set(len(drift))
        self._log_warnings(list(plan.warnings))  # (they include what loading found, e.g. unknown annotations)
        # What this pass found to change, field by field and masked (what a web page shows of the last pass).
        out: dict[str, Any] = {"awsReachable": True, "planned": len(drift), "changes": [
            render.change_item(c) for c in log.masker().plan(replace(plan, changes=tuple(drift))).changes]}
        if plan.errors:
            for error in plan.errors:
                log.get().error("Cannot apply", error=error)
            self.metrics.errors.labels(stage="plan").inc()
            self._record_status(manifests, plan, live)
            return out | {"errors": list(plan.errors)}
        kind = "Drift" if reason in ("resync", "backoff", "requeue") else "Change"
        for change in drift:
            log.get().info(kind, resource=str(change.key), action=change.action.value,
                           fields=[f.path for f in change.fields][:10])
        gated = self._gate(plan, manifests)
        if self.settings.suspend or not any(c.is_change and not c.held for c in gated.changes):
            self._record_status(manifests, plan, live)
            return out | {"applied": 0, "suspended": self.settings.suspend}
        extra = {COMMIT_TAG: snapshot.revision} if snapshot.revision else {}
        applied = pipeline.apply(gated, live, manifests, self.conn, self.settings.options.owner,
                                 rollout_timeout=self.settings.rollout_timeout,
                                 poll_seconds=self.settings.poll_seconds, should_stop=self.stop.is_set,
                                 extra_tags=extra, reporter=self.live)
        done = failed = 0
        changed: list[str] = []
        failures: list[str] = []
        for outcome in applied.result.outcomes:
            if outcome.status == "applied":
                done += 1
                changed.append(str(outcome.key))
                self.failures.pop(str(outcome.key), None)
                self.apply_failed.discard(str(outcome.key))
                self.backoff.forget(outcome.key)
                log.get().info("Applied", resource=str(outcome.key), detail=outcome.message)
            elif outcome.status in ("held", "skipped"):
                log.get().info("Not applied", resource=str(outcome.key), status=outcome.status,
                               reason=outcome.message)
            elif outcome.status == "failed":
                failed += 1
                failures.append(f"{outcome.key}: {outcome.message}")
                self.failures[str(outcome.key)] = outcome.message
                self.apply_failed.add(str(outcome.key))
                delay = self.backoff.failure(outcome.key)
                self.metrics.errors.labels(stage="apply").inc()
                log.get().error("Apply failed; backing off", resource=str(outcome.key), error=outcome.message,
                                retry_in_seconds=round(delay, 1))
        corrected = reason in ("resync", "backoff", "requeue", "ui") and snapshot.revision == self.applied_revision
        if corrected:
            self.metrics.corrections.inc(done)
        self.applied_revision = snapshot.revision
        for target in applied.rollouts:
            self.watcher.add(target)
        self.live.follow(list(applied.rollouts))  # listed before the rows say what they started
        self._handle_rollouts(list(applied.waited))
        after, live_after = pipeline.plan(manifests, self.conn, self.settings.options)
        self._record_status(manifests, self._mine(after, manifests, held_shards), live_after)
        return out | {"applied": done, "failed": failed, "appliedResources": changed,
                      "driftCorrected": corrected and done > 0, **({"errors": failures} if failed else {})}

    # --- helpers ----------------------------------------------------------------------------------
    def _log_warnings(self, warnings: list[str]) -> None:
        for warning in warnings:
            if warning not in self.warned:
                log.get().warning("Warning", warning=warning)
        self.warned = set(warnings)

    def _refresh_shards(self, manifests: loader.ManifestSet) -> set[str] | None:
        if self.shards is None:
            return None
        self.known_shards = all_shards(manifests.manifests)
        self.shards.shards = sorted(self.known_shards)
        held = self.shards.refresh()
        self.acting_shards = set(held)
        self.state.shards = sorted(held)
        log.get().info("Shards held", shards=sorted(held), of=len(self.known_shards))
        return held

    def _renew_shards(self) -> bool:
        """Keep our leases alive between passes; True when we took over shards (another watcher died)."""
        assert self.shards is not None
        before = set(self.state.shards or [])
        try:
            held = self.shards.refresh()
        except AwsError as exc:
            log.get().warning("Could not renew shard leases", error=str(exc))
            return False
        self.state.shards = sorted(held)
        gained = held - before
        if gained:
            log.get().info("Took over shards", shards=sorted(gained))
        return bool(gained)

    def check_fence(self) -> None:
        """Fencing for writes: every shard this pass acts on must still be ours."""
        if self.shards is not None:
            for shard in sorted(self.acting_shards):
                self.shards.check(shard)

    def _mine(self, plan: Plan, manifests: loader.ManifestSet, held: set[str] | None) -> Plan:
        """Only the changes of the shards this watcher holds (all of them without sharding)."""
        if held is None:
            return plan
        kept = tuple(c for c in plan.changes if shard_of_key(c.key, manifests.manifests) in held)
        return replace(plan, changes=kept)

    def _gate(self, plan: Plan, manifests: loader.ManifestSet) -> Plan:
        """Hold what is suspended, backing off, or rolling out right now."""
        by_key = manifests.by_key()
        changes: list[ResourceChange] = []
        for change in plan.changes:
            m = by_key.get(change.key)
            held = change.held
            if not held and m is not None and m.annotation_true(SUSPEND_ANNOTATION):
                held = "suspended (annotation reconciler.io/suspend)"
            elif not held and (left := self.backoff.waiting(change.key)) > 0:
                held = f"backing off after a failure: next try in {left:.0f}s"
            elif not held and change.key in self.watcher.tracking:
                held = "its rollout is in progress"
                self.held_for_rollout.add(change.key)
            changes.append(replace(change, held=held) if held != change.held else change)
        return replace(plan, changes=tuple(changes))

    def _poll_rollouts(self) -> None:
        try:
            self._handle_rollouts(self.watcher.poll())
        except AwsError as exc:
            log.get().warning("Could not check rollouts", error=str(exc))
        self.live.forget(set(self.watcher.tracking))

    def _handle_rollouts(self, results: list[RolloutResult]) -> None:
        events: list[dict[str, Any]] = []
        for result in results:
            if result.key in self.held_for_rollout:
                self.held_for_rollout.discard(result.key)
                self.requeue_pass = True
            if result.ok:
                self.failures.pop(str(result.key), None)
                self.apply_failed.discard(str(result.key))
                log.get().info("Rolled out", resource=str(result.key), detail=result.message)
            else:
                self.failures[str(result.key)] = result.message
                self.metrics.errors.labels(stage="rollout").inc()
                log.get().error("Rollout failed", resource=str(result.key), reason=result.message)
            try:
                self.live.settled(result)
                events += self.transitions.rollout_settled(result, self.state.revision)
            except Exception as exc:  # telling people must never stop the controller
                log.get().exception("Could not announce the rollout", error=repr(exc))
        if results:
            self._announce(events)

    def _announce(self, events: list[dict[str, Any]]) -> None:
        """Publish what changed: the page's activity, the notifications, the commit's status."""
        try:
            events = log.masker().value(events)
            self.state.record(events)
            status = self.transitions.commit_status([str(k) for k in self.watcher.pending])
            if self.notifier is None:
                return
            for item in events:
                self.notifier.event(item)
            if status is not None:
                self.notifier.commit_status(status)
        except Exception as exc:  # telling people must never stop the controller
            log.get().exception("Could not announce", error=repr(exc))

    def _record_status(self, manifests: loader.ManifestSet, plan: Plan, live: Any) -> None:
        masker = log.masker()
        rows = statuses(manifests, plan, live, masker)
        self.metrics.record_statuses(rows)
        by_name = {str(m.key): m for m in manifests.manifests}
        diffs = {str(c.key): [{"path": f.path, "before": f.before, "after": f.after}
                              for f in masker.change(c).fields[:FIELDS_PER_ROW]]
                 for c in plan.changes if c.is_change and c.fields}
        published = []
        for row in rows:
            item = row.as_dict()
            key = f"{row.kind}/{row.name}"
            m = by_name.get(key)
            if m is not None and m.kind in (Kind.SERVICE, Kind.TASK, Kind.CLUSTER):
                item["cluster"] = m.name if m.kind is Kind.CLUSTER else m.cluster
            if key in diffs and row.sync != "in-sync":
                item["fields"] = diffs[key]
            if key in self.failures:
                item["failure"] = masker.text(self.failures[key])
            published.append(item)
        self.state.resources = published
        self.live.publish()  # rollouts not polled yet show the counts this pass read
