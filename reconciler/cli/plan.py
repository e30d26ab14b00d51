"""`reconciler plan PATH...`: read live AWS, print the plan (text, JSON, markdown), change nothing."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from reconciler import log, pipeline, savedplan
from reconciler.cli import arguments
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    assignments,
    aws,
    console,
    load,
    plan_options,
    variable_source,
)
from reconciler.model.plan import Plan
from reconciler.planning import render


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("plan", parents=[common], help="show what apply would change (changes nothing)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Read live AWS, compare it with the manifests and print the plan: "
                                   "+ create, ~ update, -/+ replace, - delete.",
                       epilog="exit codes: 0 success, 1 error; with --detailed-exitcode, 0 no changes, "
                              "2 changes pending, 1 error")
    arguments.manifests(p)
    arguments.owner(p)
    arguments.prune(p)
    p.add_argument("-o", "--output", choices=["text", "json", "markdown"], default="text",
                   help="text for people, json for tools (stdout is pure JSON), markdown for PR comments")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when the plan has changes (as terraform plan -detailed-exitcode)")
    p.add_argument("--show-unchanged", action="store_true", help="list resources in sync too (text)")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="also save the plan to FILE (JSON, mode 0600, secret-looking --var values left out); "
                        "`reconciler apply FILE` applies exactly that plan, or refuses it when the manifests or "
                        "live AWS changed since")
    p.set_defaults(run=run)


def print_plan(plan: Plan, output: str, show_noop: bool = False) -> None:
    """The plan on stdout, masked with this run's masker (secret names and known secret values)."""
    masker = log.masker()
    if output == "json":
        sys.stdout.write(render.to_json(plan, masker) + "\n")
    elif output == "markdown":
        sys.stdout.write(render.to_markdown(plan, masker))
    else:
        console().print(render.to_text(plan, show_noop, masker))


def run(args: argparse.Namespace) -> int:
    manifests = load(args)
    with aws(args) as conn:
        options = plan_options(args)
        plan, _ = pipeline.plan(manifests, conn, options)
    print_plan(plan, args.output, args.show_unchanged)
    if args.out:
        savedplan.write(args.out, plan, manifests, args.paths, assignments(args), asdict(options) | {
            "adopt": sorted(options.adopt), "allowEmpty": args.allow_empty}, log.masker(),
            variable_source(args).extra_allow)
        log.get().info("Saved plan", file=args.out)
    if plan.errors:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK
