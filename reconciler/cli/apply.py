"""`reconciler apply PATH... | plan.json`: plan, apply under the writers' lock, wait for rollouts, verify."""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape

from reconciler import loader, log, pipeline, savedplan
from reconciler.apply.executor import refusal
from reconciler.cli import arguments
from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    assignments,
    aws,
    console,
    duration,
    error,
    load,
    lock_timeout,
    plan_options,
    writer_lock,
)
from reconciler.errors import ReconcilerError
from reconciler.model.plan import Outcome
from reconciler.planning import render
from reconciler.progress import RolloutProgress


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("apply", parents=[common], help="plan and apply, without prompting",
                       description="Plan, then make AWS match the manifests, then check that it does. PATH may "
                                   "also be one saved plan (plan --out FILE): it is applied only if it is still "
                                   "the plan. "
                                   "Exits 0 when live state matches, 1 otherwise, saying what was done "
                                   "and what was not. Nothing is changed when any manifest is invalid, a "
                                   "reference dangles, or a resource is not ours.")
    arguments.manifests(p)
    arguments.owner(p)
    arguments.prune(p)
    p.add_argument("--allow-replace", action="store_true",
                   help="permit changes AWS can only make by deleting and re-creating the resource")
    p.add_argument("--no-wait", action="store_true",
                   help="return after the API calls instead of waiting for service rollouts to finish")
    arguments.lock(p, default_timeout="0s")
    p.add_argument("--timeout", default="10m", metavar="DURATION",
                   help="how long to wait for each service rollout (default 10m; per service: annotation "
                        "reconciler.io/rollout-timeout)")
    p.add_argument("--poll", default="2s", metavar="DURATION", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def _saved_plan_args(args: argparse.Namespace) -> savedplan.SavedPlan | None:
    """`apply plan.json`: take the paths, variables and options the saved plan was made with."""
    if len(args.paths) != 1 or not savedplan.is_saved_plan(args.paths[0]):
        return None
    path = args.paths[0]
    saved = savedplan.read(path)
    given = assignments(args)
    missing = [name for name in saved.sensitive_variables if name not in given]
    if missing:
        example = " ".join(f"--var {name}=..." for name in missing)
        raise ReconcilerError(f"{path} was made with --var {', '.join(missing)}, whose value is not stored in the "
                              f"file (the name looks secret): give it again: reconciler apply {path} {example}")
    for name, value in given.items():
        if name in saved.variables and saved.variables[name] != value:
            raise ReconcilerError(f"--var {name} differs from the value {path} was made with; a saved plan is "
                                  "applied with its own variables (make a new plan to change them)")
    args.paths = saved.paths
    args.var = [f"{k}={v}" for k, v in {**saved.variables, **given}.items()]
    args.allow_env = [*saved.allow_env, *args.allow_env]
    o = saved.options
    if "sensitive_patterns" in o:  # the plan was masked (and warned) with these: mask with them too
        args.sensitive_pattern = list(o["sensitive_patterns"])
        log.add_patterns(o["sensitive_patterns"])
    args.owner, args.adopt, args.retry_failed = o["owner"], o.get("adopt", []), o.get("retry_failed", False)
    args.prune, args.keep_revisions, args.allow_empty = o.get("prune", False), o.get("keep_revisions", 5), \
        o.get("allowEmpty", False)
    return saved


def run(args: argparse.Namespace) -> int:
    plan_file = args.paths[0]
    saved = _saved_plan_args(args)
    manifests = load(args)
    timeout = duration(args.timeout, "--timeout")
    poll = duration(args.poll, "--poll")
    options = plan_options(args)
    with aws(args) as conn:
        from reconciler.locking import install_fencing

        lock = writer_lock(args, conn, options.owner)
        lock.acquire(lock_timeout(args))
        log.get().info("Holding the lock", lock=lock.name)
        conn.clients.on_client(lambda client: install_fencing([client], lock))
        try:
            return _apply_locked(args, conn, manifests, options, saved, plan_file, timeout, poll)
        finally:
            lock.release()


def _apply_locked(args: argparse.Namespace, conn: pipeline.Connection, manifests: loader.ManifestSet,
                  options: pipeline.PlanOptions, saved: savedplan.SavedPlan | None, plan_file: str,
                  timeout: float, poll: float) -> int:
    out = console()
    plan, live = pipeline.plan(manifests, conn, options)
    if saved is not None:
        savedplan.check(saved, manifests, plan, plan_file, log.masker())
        out.print(f"Applying the saved plan {plan_file} (still current).")
    out.print(render.to_text(plan, masker=log.masker()))
    reasons = refusal(plan, args.allow_replace)
    if reasons:
        for reason in reasons:
            error(reason)
        error("nothing was applied")
        return EXIT_ERROR
    if not plan.has_changes:
        return EXIT_OK
    out.print()

    def report(outcome: Outcome) -> None:
        if outcome.status == "unchanged":
            return
        colour = {"applied": "green", "failed": "bold red", "skipped": "yellow", "held": "yellow"}[outcome.status]
        out.print(f"[{colour}]{outcome.status:>8}[/{colour}] {escape(str(outcome.key))}: "
                  f"{escape(log.redact(outcome.message))}", markup=True, highlight=False)
        log.get().info("Applied change", resource=str(outcome.key), action=outcome.action.value,
                       status=outcome.status, detail=outcome.message)

    applied = pipeline.apply(plan, live, manifests, conn, args.owner, report, timeout,
                             RolloutProgress(out), poll, keep_versions=options.keep_revisions)
    result, rollouts, outcomes = applied.result, applied.rollouts, list(applied.waited)
    if rollouts and not args.no_wait:
        out.print()
        out.print(f"Waiting for {len(rollouts)} service rollout(s) (timeout {args.timeout} each)...")
        with RolloutProgress(out) as progress:
            outcomes += pipeline.wait(rollouts, conn, progress, poll)
    if outcomes:
        for rollout in outcomes:
            message = escape(log.redact(rollout.message))
            if rollout.ok:
                out.print(f"[green]rolled out[/green] {escape(str(rollout.key))}: {message}", highlight=False)
            else:
                out.print(f"[bold red]    FAILED[/bold red] {escape(str(rollout.key))}: {message}", highlight=False)
                log.get().error("Rollout failed", resource=str(rollout.key), reason=rollout.message)
    rollouts_ok = all(r.ok for r in outcomes)
    out.print()
    out.print(f"[bold]{render.result_text(result)}[/bold]")
    if not result.ok or not rollouts_ok:
        error("apply incomplete: what succeeded is in place; see the failures above")
        return EXIT_ERROR
    if args.no_wait and rollouts:
        out.print(f"Not waiting for {len(rollouts)} rollout(s) (--no-wait); check with `reconciler plan`.")
        return EXIT_OK
    after, _ = pipeline.plan(manifests, conn, options)
    if after.has_changes or after.errors:
        out.print(render.to_text(after, masker=log.masker()))
        error("live state still differs from the manifests after apply (see the plan above)")
        return EXIT_ERROR
    out.print("Live state matches the manifests.")
    return EXIT_OK
