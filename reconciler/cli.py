"""The `reconciler` command: parses arguments, runs the pipeline, renders, maps errors to exit codes.

Exit codes: 0 success; 1 error (bad input, AWS error, apply incomplete); 2 with `plan
--detailed-exitcode` when the plan has changes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from reconciler import __version__, loader, log, pipeline, savedplan, variables
from reconciler.apply.executor import refusal
from reconciler.aws.clients import AwsSettings
from reconciler.errors import ReconcilerError
from reconciler.model import specs
from reconciler.model.manifest import parse_duration
from reconciler.model.plan import Outcome, Plan
from reconciler.planning import render
from reconciler.progress import RolloutProgress

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2

DESCRIPTION = """\
Reconcile AWS ECS with manifests kept in git: clusters, ECR repositories, task definitions and services.

Manifests are YAML documents (apiVersion: reconciler/v1, kind, metadata, spec) whose spec mirrors the
AWS API input of its kind (RegisterTaskDefinition, CreateService, CreateCluster, CreateRepository).
Live AWS is the only source of truth: there is no state file. Resources created carry ownership tags,
and resources this tool does not own are never changed unless you adopt them.
"""

EPILOG = """\
examples:
  reconciler validate manifests/
  reconciler plan manifests/ --sandbox                 # try it with no AWS account
  reconciler plan manifests/ -o json | jq .summary
  reconciler plan manifests/ --detailed-exitcode       # CI: 0 in sync, 2 changes, 1 error
  reconciler apply manifests/ --var IMAGE_TAG=1.4.2
  reconciler sandbox --port 4566 &                     # then: export AWS_ENDPOINT_URL=...

AWS credentials, region and endpoint come from the standard chain (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, ~/.aws/config, instance roles...). Logs go to stderr; stdout carries only results.
"""


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("AWS and output")
    g.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (default: the standard chain)")
    g.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile from ~/.aws/config")
    g.add_argument("--sandbox", action="store_true", default=argparse.SUPPRESS,
                   help="run against an ephemeral in-process sandbox (embedded AWS), not real AWS")
    g.add_argument("--log-format", choices=["auto", "console", "json"], default=argparse.SUPPRESS,
                   help="logs on stderr: console on a terminal, JSON lines otherwise (default: auto)")
    g.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default=argparse.SUPPRESS)


def _manifest_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="manifest files or directories (searched recursively for *.yaml, *.yml)")
    parser.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                        help="set a variable for ${KEY} substitution (overrides the environment)")


def _prune_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prune", action="store_true",
                        help="also remove what left git: only resources carrying this owner's tag; services are "
                             "drained first, repositories only with a deletion policy (see README)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="with --prune, accept an empty manifest set (which removes everything this owner "
                             "owns); refused otherwise")
    parser.add_argument("--keep-revisions", type=int, default=5, metavar="N",
                        help="with --prune, task definition revisions kept per family besides those in use "
                             "(default 5)")


def _options(args: argparse.Namespace) -> pipeline.PlanOptions:
    if args.keep_revisions < 1:
        raise ReconcilerError("--keep-revisions must be at least 1")
    return pipeline.PlanOptions(owner=args.owner, adopt=frozenset(args.adopt), retry_failed=args.retry_failed,
                                prune=args.prune, keep_revisions=args.keep_revisions)


def _lock_args(parser: argparse.ArgumentParser, default_timeout: str) -> None:
    parser.add_argument("--lock-table", metavar="NAME", default=None,
                        help="DynamoDB table for the lock (created if missing): writers on any machine exclude "
                             "each other. Without it, a local file lock protects this machine only")
    parser.add_argument("--lock-timeout", metavar="DURATION", default=default_timeout,
                        help=f"how long to wait for the lock before exiting 3 (default {default_timeout})")


def _owner_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--retry-failed", action="store_true",
                        help="retry service revisions whose rollout failed before (normally held until the "
                             "manifest changes)")
    parser.add_argument("--owner", default=os.environ.get("RECONCILER_OWNER", "reconciler"),
                        help="owner id written to and checked on the reconciler:managed-by tag "
                             "(default: $RECONCILER_OWNER or 'reconciler')")
    parser.add_argument("--adopt", action="append", default=[], metavar="KIND/NAME",
                        help="take over an existing resource this owner does not own yet, e.g. "
                             "Service/prod/web (or annotate its manifest reconciler.io/adopt: \"true\")")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _common(common)
    parser = argparse.ArgumentParser(prog="reconciler", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", parents=[common], help="check manifests offline; print every error",
                       description="Load and validate manifests without calling AWS. Exits 0 when valid, "
                                   "1 with every problem listed as file:line:col otherwise.")
    _manifest_args(p)

    p = sub.add_parser("plan", parents=[common], help="show what apply would change (changes nothing)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Read live AWS, compare it with the manifests and print the plan: "
                                   "+ create, ~ update, -/+ replace, - delete.",
                       epilog="exit codes: 0 success, 1 error; with --detailed-exitcode, 0 no changes, "
                              "2 changes pending, 1 error")
    _manifest_args(p)
    _owner_args(p)
    _prune_args(p)
    p.add_argument("-o", "--output", choices=["text", "json", "markdown"], default="text",
                   help="text for people, json for tools (stdout is pure JSON), markdown for PR comments")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when the plan has changes (as terraform plan -detailed-exitcode)")
    p.add_argument("--show-unchanged", action="store_true", help="list resources in sync too (text)")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="also save the plan to FILE (JSON); `reconciler apply FILE` applies exactly that plan, or "
                        "refuses it when the manifests or live AWS changed since")

    p = sub.add_parser("apply", parents=[common], help="plan and apply, without prompting",
                       description="Plan, then make AWS match the manifests, then check that it does. PATH may "
                                   "also be one saved plan (plan --out FILE): it is applied only if it is still "
                                   "the plan. "
                                   "Exits 0 when live state matches, 1 otherwise, saying what was done "
                                   "and what was not. Nothing is changed when any manifest is invalid, a "
                                   "reference dangles, or a resource is not ours.")
    _manifest_args(p)
    _owner_args(p)
    _prune_args(p)
    p.add_argument("--allow-replace", action="store_true",
                   help="permit changes AWS can only make by deleting and re-creating the resource")
    p.add_argument("--no-wait", action="store_true",
                   help="return after the API calls instead of waiting for service rollouts to finish")
    _lock_args(p, default_timeout="0s")
    p.add_argument("--timeout", default="10m", metavar="DURATION",
                   help="how long to wait for each service rollout (default 10m; per service: annotation "
                        "reconciler.io/rollout-timeout)")
    p.add_argument("--poll", default="2s", metavar="DURATION", help=argparse.SUPPRESS)

    p = sub.add_parser("status", parents=[common], help="show sync and health of each resource",
                       description="For each manifest: in sync or not, healthy, progressing or degraded, with "
                                   "running/desired counts and the last service events. Changes nothing.")
    _manifest_args(p)
    _owner_args(p)
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")

    p = sub.add_parser("rollback", parents=[common], help="roll a service back to an earlier revision",
                       description="Point a service at an earlier task definition revision (the previous ACTIVE "
                                   "one, or --to) and wait for the rollout. Git still declares the newer "
                                   "revision: the next apply rolls forward unless the manifest changes.")
    p.add_argument("service", metavar="SERVICE", help="cluster/service, or service with --cluster")
    p.add_argument("--cluster", default=None, help="the service's cluster (default: from SERVICE, else 'default')")
    p.add_argument("--to", dest="to", default=None, metavar="REVISION",
                   help="revision number (e.g. 3) or family:revision; default: the previous ACTIVE revision")
    p.add_argument("--timeout", default="10m", metavar="DURATION", help="how long to wait for the rollout")
    p.add_argument("--no-wait", action="store_true", help="return once the service was updated")
    p.add_argument("--poll", default="2s", metavar="DURATION", help=argparse.SUPPRESS)

    p = sub.add_parser("watch", parents=[common], help="the GitOps controller: keep AWS matching a directory or git",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Reconcile at start, on every change of the manifests (debounced), and every "
                                   "--resync interval (correcting drift made outside git). Rollouts are checked "
                                   "between passes, failures back off per resource, a bad manifest changes "
                                   "nothing until it is fixed. Serves /healthz, /readyz, /metrics and /status.",
                       epilog="examples:\n  reconciler watch manifests/ --sandbox\n"
                              "  reconciler watch --git https://git.example/ops.git --path ecs/prod "
                              "--lock-table reconciler-locks\n  reconciler watch manifests/ --suspend   "
                              "# report drift, change nothing")
    p.add_argument("paths", nargs="*", metavar="PATH", help="manifest files or directories (or use --git)")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="set a variable for ${KEY} substitution (overrides the environment)")
    p.add_argument("--git", metavar="URL", default=None, help="follow this git repository instead of PATHs")
    p.add_argument("--branch", default="main", help="branch to follow (default main)")
    p.add_argument("--path", dest="subpath", default="", metavar="SUBDIR", help="manifests directory in the repo")
    p.add_argument("--interval", default="1m", metavar="DURATION", help="how often to fetch git (default 1m)")
    p.add_argument("--workdir", default=None, metavar="DIR", help="where to keep the clone (default: a temp dir)")
    p.add_argument("--resync", default="5m", metavar="DURATION",
                   help="full pass this often even without changes: finds and corrects drift (default 5m)")
    p.add_argument("--listen", default="127.0.0.1:9090", metavar="HOST:PORT",
                   help="HTTP endpoint for /healthz /readyz /metrics /status (default 127.0.0.1:9090; port 0: any)")
    p.add_argument("--suspend", action="store_true",
                   help="report drift but change nothing (one resource: annotation reconciler.io/suspend)")
    p.add_argument("--shard-by", choices=["cluster"], default=None,
                   help="share the work with other watchers (same --lock-table): one lease per cluster")
    p.add_argument("--timeout", default="10m", metavar="DURATION", help="rollout timeout per service")
    p.add_argument("--requeue", default="10s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--debounce", default="1.6s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--lease", default="30s", metavar="DURATION", help=argparse.SUPPRESS)
    _owner_args(p)
    _prune_args(p)
    _lock_args(p, default_timeout="forever")

    sub.add_parser("schema", parents=[common], help="print the JSON Schema of manifests (for editors)",
                   description="Print the JSON Schema of all manifest kinds, generated from the AWS API "
                               "models. Save it and point yaml-language-server at it (see README).")

    p = sub.add_parser("sandbox", parents=[common], help="run the embedded AWS on 127.0.0.1",
                       description="Run the sandbox (moto, made to behave like ECS) in the foreground on "
                                   "127.0.0.1 until interrupted, and print the variables to export.")
    p.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566; 0 = any)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts: dict[str, Any] = vars(args)
    log.configure(opts.get("log_format", "auto"), opts.get("log_level", "info"))
    try:
        return COMMANDS[args.command](args)
    except ReconcilerError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _error(message: str) -> None:
    for line in message.splitlines():
        print(f"error: {line}", file=sys.stderr)


def _console() -> Any:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # logs and CI output: no terminal to fit, do not squeeze tables to 80 columns
    return console


def _variables(args: argparse.Namespace) -> dict[str, str]:
    try:
        return variables.parse_assignments(args.var)
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from exc


def _load(args: argparse.Namespace) -> loader.ManifestSet:
    assignments = _variables(args)
    allow_empty = bool(getattr(args, "prune", False) and getattr(args, "allow_empty", False))
    manifests = loader.load(args.paths, assignments, allow_empty=allow_empty)
    log.get().info("Loaded manifests", files=len(manifests.files), manifests=len(manifests.manifests))
    return manifests


@contextlib.contextmanager
def _aws(args: argparse.Namespace) -> Iterator[pipeline.Connection]:
    region = getattr(args, "region", None)
    if getattr(args, "sandbox", False):
        with pipeline.sandbox_settings(region) as settings:
            log.get().info("Started ephemeral sandbox", endpoint=settings.endpoint_url)
            yield pipeline.connect(settings)
    else:
        yield pipeline.connect(AwsSettings(region=region, profile=getattr(args, "profile", None)))


def cmd_validate(args: argparse.Namespace) -> int:
    manifests = _load(args)
    kinds: dict[str, int] = {}
    for m in manifests.manifests:
        kinds[m.kind.value] = kinds.get(m.kind.value, 0) + 1
    detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"{len(manifests.manifests)} manifests valid in {len(manifests.files)} files ({detail}).")
    return EXIT_OK


def _print_plan(plan: Plan, output: str, show_noop: bool = False) -> None:
    if output == "json":
        sys.stdout.write(render.to_json(plan) + "\n")
    elif output == "markdown":
        sys.stdout.write(render.to_markdown(plan))
    else:
        _console().print(render.to_text(plan, show_noop))


def cmd_plan(args: argparse.Namespace) -> int:
    manifests = _load(args)
    with _aws(args) as conn:
        options = _options(args)
        plan, _ = pipeline.plan(manifests, conn, options)
    _print_plan(plan, args.output, args.show_unchanged)
    if args.out:
        savedplan.write(args.out, plan, manifests, args.paths, _variables(args), asdict(options) | {
            "adopt": sorted(options.adopt), "allowEmpty": args.allow_empty})
        log.get().info("Saved plan", file=args.out)
    if plan.errors:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK


def _duration(text: str, option: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ReconcilerError(f"{option}: {exc}") from exc


def _saved_plan_args(args: argparse.Namespace) -> savedplan.SavedPlan | None:
    """`apply plan.json`: take the paths, variables and options the saved plan was made with."""
    if len(args.paths) != 1 or not savedplan.is_saved_plan(args.paths[0]):
        return None
    saved = savedplan.read(args.paths[0])
    args.paths, args.var = saved.paths, [f"{k}={v}" for k, v in saved.variables.items()]
    o = saved.options
    args.owner, args.adopt, args.retry_failed = o["owner"], o.get("adopt", []), o.get("retry_failed", False)
    args.prune, args.keep_revisions, args.allow_empty = o.get("prune", False), o.get("keep_revisions", 5), \
        o.get("allowEmpty", False)
    return saved


def cmd_apply(args: argparse.Namespace) -> int:
    plan_file = args.paths[0]
    saved = _saved_plan_args(args)
    manifests = _load(args)
    timeout = _duration(args.timeout, "--timeout")
    poll = _duration(args.poll, "--poll")
    options = _options(args)
    with _aws(args) as conn:
        from reconciler.locking import install_fencing

        lock = _lock(args, conn, options.owner)
        lock.acquire(_lock_timeout(args))
        log.get().info("Holding the lock", lock=lock.name)
        install_fencing([conn.clients.ecs, conn.clients.ecr], lock)
        try:
            return _apply_locked(args, conn, manifests, options, saved, plan_file, timeout, poll)
        finally:
            lock.release()


def _apply_locked(args: argparse.Namespace, conn: pipeline.Connection, manifests: loader.ManifestSet,
                  options: pipeline.PlanOptions, saved: savedplan.SavedPlan | None, plan_file: str,
                  timeout: float, poll: float) -> int:
    console = _console()
    plan, live = pipeline.plan(manifests, conn, options)
    if saved is not None:
        savedplan.check(saved, manifests, plan, plan_file)
        console.print(f"Applying the saved plan {plan_file} (still current).")
    console.print(render.to_text(plan))
    reasons = refusal(plan, args.allow_replace)
    if reasons:
        for reason in reasons:
            _error(reason)
        _error("nothing was applied")
        return EXIT_ERROR
    if not plan.has_changes:
        return EXIT_OK
    console.print()

    def report(outcome: Outcome) -> None:
        if outcome.status == "unchanged":
            return
        colour = {"applied": "green", "failed": "bold red", "skipped": "yellow", "held": "yellow"}[outcome.status]
        console.print(f"[{colour}]{outcome.status:>8}[/{colour}] {outcome.key}: {outcome.message}",
                      markup=True, highlight=False)
        log.get().info("Applied change", resource=str(outcome.key), action=outcome.action.value,
                       status=outcome.status, detail=outcome.message)

    applied = pipeline.apply(plan, live, manifests, conn, args.owner, report, timeout,
                             RolloutProgress(console), poll)
    result, rollouts, outcomes = applied.result, applied.rollouts, list(applied.waited)
    if rollouts and not args.no_wait:
        console.print()
        console.print(f"Waiting for {len(rollouts)} service rollout(s) (timeout {args.timeout} each)...")
        with RolloutProgress(console) as progress:
            outcomes += pipeline.wait(rollouts, conn, progress, poll)
    if outcomes:
        for rollout in outcomes:
            if rollout.ok:
                console.print(f"[green]rolled out[/green] {rollout.key}: {rollout.message}", highlight=False)
            else:
                console.print(f"[bold red]    FAILED[/bold red] {rollout.key}: {rollout.message}",
                              highlight=False)
                log.get().error("Rollout failed", resource=str(rollout.key), reason=rollout.message)
    rollouts_ok = all(r.ok for r in outcomes)
    console.print()
    console.print(f"[bold]{render.result_text(result)}[/bold]")
    if not result.ok or not rollouts_ok:
        _error("apply incomplete: what succeeded is in place; see the failures above")
        return EXIT_ERROR
    if args.no_wait and rollouts:
        console.print(f"Not waiting for {len(rollouts)} rollout(s) (--no-wait); check with `reconciler plan`.")
        return EXIT_OK
    after, _ = pipeline.plan(manifests, conn, options)
    if after.has_changes or after.errors:
        console.print(render.to_text(after))
        _error("live state still differs from the manifests after apply (see the plan above)")
        return EXIT_ERROR
    console.print("Live state matches the manifests.")
    return EXIT_OK


def _lock_timeout(args: argparse.Namespace) -> float:
    if args.lock_timeout in ("forever", "inf", "infinite"):
        return float("inf")
    if args.lock_timeout in ("0", "0s"):
        return 0.0
    return _duration(args.lock_timeout, "--lock-timeout")


def _lock(args: argparse.Namespace, conn: pipeline.Connection, owner: str) -> Any:
    """The writers' lock: a DynamoDB lease (--lock-table) or a local file lock."""
    from reconciler.locking import dynamodb_lock, file_lock

    timeout = _lock_timeout(args)
    scope = f"{conn.clients.endpoint}|{conn.clients.region}|{owner}"
    if args.lock_table:
        key = f"{owner}/{conn.clients.region}"
        return dynamodb_lock(conn.clients.client("dynamodb"), args.lock_table, key, _holder(), timeout,
                             lease_seconds=_duration(getattr(args, "lease", "30s"), "--lease"))
    return file_lock(None, scope, timeout)


def _holder() -> str:
    from reconciler.locking import default_holder

    return default_holder()


def cmd_watch(args: argparse.Namespace) -> int:
    import tempfile

    from reconciler.controller.http import ControllerState, parse_listen, serve
    from reconciler.controller.loop import Controller, WatchSettings
    from reconciler.controller.metrics import Metrics
    from reconciler.controller.sources import DirectorySource, GitSource
    from reconciler.locking import ShardLeases, install_fencing

    if bool(args.paths) == bool(args.git):
        raise ReconcilerError("watch needs manifest PATHs or --git URL (one of the two)")
    if args.shard_by and not args.lock_table:
        raise ReconcilerError("--shard-by needs --lock-table: the shard leases live in that DynamoDB table")
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from exc
    options = _options(args)
    settings = WatchSettings(options=options, variables=_variables(args), resync=_duration(args.resync, "--resync"),
                             requeue=_duration(args.requeue, "--requeue"), suspend=args.suspend,
                             allow_empty=bool(args.prune and args.allow_empty),
                             rollout_timeout=_duration(args.timeout, "--timeout"))
    workdir = args.workdir or tempfile.mkdtemp(prefix="reconciler-")
    source: Any
    if args.git:
        source = GitSource(args.git, args.branch, args.subpath, workdir, _duration(args.interval, "--interval"))
    else:
        source = DirectorySource(args.paths, debounce_ms=int(_duration(args.debounce, "--debounce") * 1000))
    metrics, state = Metrics(), ControllerState()
    server = serve(state, metrics, host, port)
    log.get().info("Serving", url=f"http://{host}:{server.server_address[1]}",
                   endpoints="/healthz /readyz /metrics /status")
    with _aws(args) as conn:
        lock: Any = None
        shards = None
        if args.shard_by:
            shards = ShardLeases(conn.clients.client("dynamodb"), args.lock_table, _holder(), [],
                                 lease_seconds=_duration(args.lease, "--lease"))
        else:
            lock = _lock(args, conn, options.owner)
            log.get().info("Waiting for the lock", lock=lock.name)
            lock.acquire(_lock_timeout(args))
            install_fencing([conn.clients.ecs, conn.clients.ecr], lock)
            log.get().info("Holding the lock", lock=lock.name)
        controller = Controller(source, conn, settings, metrics, state, shards=shards)
        if shards is not None:
            install_fencing([conn.clients.ecs, conn.clients.ecr], _ShardFence(controller))

        received: list[str] = []

        def stop(signum: int, _frame: Any) -> None:
            # Only set events here: logging from a signal handler could re-enter a write in progress.
            received.append(signal.Signals(signum).name)
            controller.stop.set()
            controller.wake.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        log.get().info("Watching", source=source.describe(), resync=args.resync, suspended=args.suspend)
        try:
            controller.run()
        finally:
            if received:
                log.get().info("Stopping: the AWS call in flight finished", signal=received[0])
            if lock is not None:
                lock.release()
            server.shutdown()
    log.get().info("Stopped")
    return EXIT_OK


class _ShardFence:
    """Fencing with shards: a write goes out only while this watcher still holds every shard the pass acts on."""

    name = "shard leases"

    def __init__(self, controller: Any) -> None:
        self.controller = controller

    def check(self) -> None:
        self.controller.check_fence()


def cmd_status(args: argparse.Namespace) -> int:
    from reconciler.status import statuses

    manifests = _load(args)
    with _aws(args) as conn:
        options = pipeline.PlanOptions(owner=args.owner, adopt=frozenset(args.adopt), retry_failed=args.retry_failed)
        plan, live = pipeline.plan(manifests, conn, options)
    rows = statuses(manifests, plan, live)
    if args.output == "json":
        sys.stdout.write(json.dumps({"resources": [r.as_dict() for r in rows]}, indent=2) + "\n")
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(box=None, header_style="bold")
        for column in ("RESOURCE", "SYNC", "HEALTH", "RUNNING", "REVISION"):
            table.add_column(column, no_wrap=True)
        table.add_column("DETAIL")
        colours = {"healthy": "green", "progressing": "cyan", "degraded": "red", "missing": "yellow"}
        for r in rows:
            colour = colours.get(r.health, "white")
            counts = f"{r.running}/{r.desired}" if r.desired is not None else ""
            table.add_row(escape(f"{r.kind}/{r.name}"), r.sync, f"[{colour}]{r.health}[/{colour}]", counts,
                          r.revision or "", escape(r.detail))
        console = _console()
        console.print(table)
        for r in rows:
            if r.events:
                console.print(f"\n[bold]{escape(r.kind + '/' + r.name)}[/bold] latest events:")
                for event in r.events:
                    console.print(f"  {escape(event)}", highlight=False)
    unhealthy = [r for r in rows if r.health in ("degraded", "missing") or r.sync == "error"]
    return EXIT_ERROR if unhealthy else EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from reconciler.rollouts.manual import rollback_service

    cluster, _, name = args.service.rpartition("/")
    cluster = args.cluster or cluster or "default"
    console = _console()
    with _aws(args) as conn:
        target, previous = rollback_service(conn.ecs, cluster, name, args.to,
                                            _duration(args.timeout, "--timeout"))
        console.print(f"Rolling Service/{cluster}/{name} back from {previous.rsplit('/', 1)[-1]} to "
                      f"{str(target.desired_task_definition).rsplit('/', 1)[-1]}.")
        if args.no_wait:
            return EXIT_OK
        with RolloutProgress(console) as progress:
            [result] = pipeline.wait([target], conn, progress, _duration(args.poll, "--poll"))
    if not result.ok:
        _error(f"rollback failed: {result.message}")
        return EXIT_ERROR
    console.print(f"[green]rolled back[/green] Service/{cluster}/{name}: {result.message}")
    console.print("note: git still declares the newer revision; the next apply rolls forward unless you change "
                  "the manifest.")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(specs.json_schema(), indent=2) + "\n")
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    from reconciler.sandbox import Sandbox
    from reconciler.sandbox.seed import SANDBOX_SECURITY_GROUP, SANDBOX_SUBNETS

    region = getattr(args, "region", None) or pipeline.SANDBOX_REGION
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Sandbox(port=args.port, region=region) as sandbox:
        print(f"export AWS_ENDPOINT_URL={sandbox.url}")
        print("export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        print(f"export AWS_REGION={region} AWS_DEFAULT_REGION={region}")
        subnets = " ".join(f"SUBNET_{chr(65 + i)}={s[0]}" for i, s in enumerate(SANDBOX_SUBNETS))
        print(f"# seeded network (the example manifests' defaults): {subnets} "
              f"SECURITY_GROUP={SANDBOX_SECURITY_GROUP}")
        sys.stdout.flush()
        log.get().info("Sandbox running; Ctrl-C to stop", endpoint=sandbox.url, region=region)
        stop.wait()
    return EXIT_OK


COMMANDS = {
    "validate": cmd_validate,
    "plan": cmd_plan,
    "apply": cmd_apply,
    "schema": cmd_schema,
    "watch": cmd_watch,
    "status": cmd_status,
    "rollback": cmd_rollback,
    "sandbox": cmd_sandbox,
}


if __name__ == "__main__":
    raise SystemExit(main())
