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
from typing import Any

from reconciler import __version__, loader, log, pipeline, variables
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

    p = sub.add_parser("apply", parents=[common], help="plan and apply, without prompting",
                       description="Plan, then make AWS match the manifests, then check that it does. "
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

    return Console(highlight=False, soft_wrap=True)


def _load(args: argparse.Namespace) -> loader.ManifestSet:
    try:
        assignments = variables.parse_assignments(args.var)
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from exc
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
        plan, _ = pipeline.plan(manifests, conn, _options(args))
    _print_plan(plan, args.output, args.show_unchanged)
    if plan.errors:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK


def _duration(text: str, option: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ReconcilerError(f"{option}: {exc}") from exc


def cmd_apply(args: argparse.Namespace) -> int:
    manifests = _load(args)
    timeout = _duration(args.timeout, "--timeout")
    poll = _duration(args.poll, "--poll")
    console = _console()
    options = _options(args)
    with _aws(args) as conn:
        plan, live = pipeline.plan(manifests, conn, options)
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
        from rich.table import Table

        table = Table(box=None, header_style="bold")
        for column in ("RESOURCE", "SYNC", "HEALTH", "RUNNING", "REVISION", "DETAIL"):
            table.add_column(column)
        colours = {"healthy": "green", "progressing": "cyan", "degraded": "red", "missing": "yellow"}
        for r in rows:
            colour = colours.get(r.health, "white")
            counts = f"{r.running}/{r.desired}" if r.desired is not None else ""
            table.add_row(f"{r.kind}/{r.name}", r.sync, f"[{colour}]{r.health}[/{colour}]", counts,
                          r.revision or "", r.detail)
            for event in r.events:
                table.add_row("", "", "", "", "", f"[dim]{event}[/dim]")
        _console().print(table)
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
    "status": cmd_status,
    "rollback": cmd_rollback,
    "sandbox": cmd_sandbox,
}


if __name__ == "__main__":
    raise SystemExit(main())
