"""`reconciler status PATH...`: sync and health of each resource, with the latest service events."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reconciler import log, pipeline
from reconciler.cli import arguments
from reconciler.cli.common import EXIT_ERROR, EXIT_OK, aws, console, load, sensitive_patterns
from reconciler.model.keys import Kind


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="show sync and health of each resource",
                       description="For each manifest: in sync or not, healthy, progressing or degraded, with "
                                   "running/desired counts and the last service events. Changes nothing.")
    arguments.manifests(p)
    arguments.owner(p)
    p.add_argument("-o", "--output", choices=["text", "json"], default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.status import statuses

    manifests = load(args)
    with aws(args) as conn:
        options = pipeline.PlanOptions(owner=args.owner, adopt=frozenset(args.adopt), retry_failed=args.retry_failed,
                                       sensitive_patterns=sensitive_patterns(args))
        plan, live = pipeline.plan(manifests, conn, options)
        instances = pipeline.container_instances(conn, [m.name for m in manifests.of_kind(Kind.CLUSTER)])
    rows = statuses(manifests, plan, live, log.masker(), instances)
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
        out = console()
        out.print(table)
        for r in rows:
            if r.instances:
                out.print(f"\n[bold]{escape(r.kind + '/' + r.name)}[/bold] container instances:")
                out.print(_instances_table(r.instances))
        for r in rows:
            if r.events:
                out.print(f"\n[bold]{escape(r.kind + '/' + r.name)}[/bold] latest events:")
                for event in r.events:
                    out.print(f"  {escape(event)}", highlight=False)
    unhealthy = [r for r in rows if r.health in ("degraded", "missing") or r.sync == "error"]
    return EXIT_ERROR if unhealthy else EXIT_OK


def _instances_table(instances: list[dict[str, Any]]) -> Any:
    """Container instances as the ECS console lists them."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("EC2 INSTANCE", "TYPE", "AGENT", "STATUS", "RUNNING", "PENDING", "CPU LEFT", "MEMORY LEFT",
                   "CAPACITY PROVIDER"):
        table.add_column(column, no_wrap=True)
    for i in instances:
        agent = "[green]connected[/green]" if i.get("agentConnected") else "[red]disconnected[/red]"
        table.add_row(escape(str(i.get("ec2InstanceId", ""))), escape(str(i.get("instanceType", ""))), agent,
                      escape(str(i.get("status", ""))), str(i.get("runningTasks", 0)), str(i.get("pendingTasks", 0)),
                      str(i.get("remainingCpu", "")), f"{i.get('remainingMemory', '')} MiB",
                      escape(str(i.get("capacityProvider", ""))))
    return table
