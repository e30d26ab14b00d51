"""Run one-off tasks (RunTask) to completion: a migration before its service rolls out, a smoke test
after. Idempotent across re-runs and crashes: startedBy and clientToken come from the content digest,
and the outcome is recorded on the task definition revision's tags."""

from __future__ import annotations

import time
from typing import Any

from reconciler.apply.context import ApplyContext
from reconciler.errors import AwsError
from reconciler.model.manifest import Manifest, content_digest, run_content, service_key
from reconciler.model.plan import KnownAfterApply, ResourceChange
from reconciler.model.tags import run_record_tag
from reconciler.rollouts.wait import wait_for_rollouts

DEFAULT_TASK_TIMEOUT = 600.0


class TaskFailed(AwsError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__("RunTask", "TaskFailed", message, key)


def apply(change: ResourceChange, m: Manifest, ctx: ApplyContext) -> str:
    assert change.desired is not None
    _wait_for_services_first(m, ctx)
    task_definition = change.desired.get("taskDefinition")
    if isinstance(task_definition, KnownAfterApply):
        task_definition = ctx.registered[str(m.spec["taskDefinition"])]
    spec = {**m.spec, "taskDefinition": str(task_definition)}
    content = run_content(spec, m.cluster)
    digest = content_digest(content)
    body = {k: v for k, v in content.items() if k != "tags"}
    tags = [{"key": k, "value": v} for k, v in sorted(ctx.tags_for(m).items())]
    started = ctx.ecs.run_task(startedBy=f"reconciler-{digest}", clientToken=f"reconciler-{digest}", tags=tags,
                               **body)
    failures = started.get("failures") or []
    arns = [t["taskArn"] for t in started.get("tasks", [])]
    if failures or not arns:
        detail = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')} {f.get('detail', '')}".strip()
                           for f in failures) or "no task was started"
        _record(ctx, str(task_definition), m, f"{digest} failed never started")
        raise TaskFailed(str(m.key), f"the task did not start: {detail}")
    timeout = float(m.spec.get("timeoutSeconds") or DEFAULT_TASK_TIMEOUT)
    tasks = _wait_stopped(ctx, m.cluster, arns, timeout)
    problems = [p for t in tasks if (p := _problem(t))]
    if problems:
        exit_codes = sorted({str(c.get("exitCode")) for t in tasks for c in t.get("containers", [])
                             if c.get("exitCode") not in (None, 0)}) or ["none"]
        _record(ctx, str(task_definition), m, f"{digest} failed exit={'/'.join(exit_codes)}")
        logs = _log_locations(ctx, str(task_definition), tasks)
        raise TaskFailed(str(m.key), "; ".join(problems) + (f"; logs: {logs}" if logs else ""))
    _record(ctx, str(task_definition), m, f"{digest} succeeded")
    ids = ", ".join(t["taskArn"].rsplit("/", 1)[-1] for t in tasks)
    return f"ran {str(task_definition).rsplit('/', 1)[-1]} to completion (exit code 0; task {ids})"


def _wait_for_services_first(m: Manifest, ctx: ApplyContext) -> None:
    """`runAfter` services roll out completely before the task runs."""
    manifests = list(ctx.manifests)
    keys = {service_key(ref, manifests) for ref in m.spec.get("runAfter") or []}
    pending = [t for t in ctx.rollouts if t.key in keys and t.key not in ctx.rollout_results]
    if pending:
        for result in wait_for_rollouts(pending, ctx.ecs, reporter=ctx.reporter, poll_seconds=ctx.poll_seconds):
            ctx.rollout_results[result.key] = result
    failed = [r for k, r in ctx.rollout_results.items() if k in keys and not r.ok]
    if failed:
        raise TaskFailed(str(m.key), f"not run: {failed[0].key} did not roll out ({failed[0].message})")


def _wait_stopped(ctx: ApplyContext, cluster: str, arns: list[str], timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        tasks = ctx.ecs.describe_tasks(cluster, arns)
        if tasks and all(t.get("lastStatus") == "STOPPED" for t in tasks):
            return tasks
        if ctx.should_stop():
            raise TaskFailed(cluster, "stopped waiting for the task (shutting down); it keeps running in AWS and "
                                      "the next apply waits for it again")
        if time.monotonic() > deadline:
            states = ", ".join(f"{t['taskArn'].rsplit('/', 1)[-1]} {t.get('lastStatus')}" for t in tasks)
            raise TaskFailed(cluster, f"the task did not finish within {timeout:.0f}s ({states}); it is still "
                                      "running in AWS")
        time.sleep(ctx.poll_seconds)


def _problem(task: dict[str, Any]) -> str:
    """Why a stopped task failed, or "" when every container exited 0."""
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    reason = str(task.get("stoppedReason") or task.get("stopCode") or "")
    bad = [c for c in task.get("containers", []) if c.get("exitCode") not in (0,)]
    if not bad and task.get("containers"):
        return ""
    details = []
    for c in bad:
        code = c.get("exitCode")
        text = f"container {c.get('name')} exited with code {code}" if code is not None else \
            f"container {c.get('name')} never ran"
        if c.get("reason"):
            text += f" ({c['reason']})"
        details.append(text)
    return f"task {task_id}: " + ", ".join(details) + (f"; stopped reason: {reason}" if reason else "")


def _log_locations(ctx: ApplyContext, task_definition: str, tasks: list[dict[str, Any]]) -> str:
    """Where the awslogs driver wrote the output: CloudWatch log group and stream per container."""
    try:
        found = ctx.ecs.describe_task_definition(task_definition)
    except AwsError:
        return ""
    if found is None:
        return ""
    places = []
    for container in found[0].get("containerDefinitions", []):
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
            continue
        for task in tasks:
            task_id = task["taskArn"].rsplit("/", 1)[-1]
            prefix = options.get("awslogs-stream-prefix")
            stream = f"{prefix}/{container['name']}/{task_id}" if prefix else "(no stream prefix set)"
            places.append(f"CloudWatch Logs group {options['awslogs-group']} stream {stream}")
    return "; ".join(places)


def _record(ctx: ApplyContext, task_definition: str, m: Manifest, value: str) -> None:
    ctx.ecs.tag_resource(task_definition, {run_record_tag(m.name): value}, str(m.key))
