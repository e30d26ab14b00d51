"""`reconciler rollback CLUSTER/SERVICE [--to REVISION]`: roll a service back by hand and wait."""

from __future__ import annotations

import argparse
from typing import Any

from reconciler import pipeline
from reconciler.cli.common import EXIT_ERROR, EXIT_OK, aws, console, duration, error
from reconciler.progress import RolloutProgress


def register(sub: Any, common: argparse.ArgumentParser) -> None:
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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.rollouts.manual import rollback_service

    cluster, _, name = args.service.rpartition("/")
    cluster = args.cluster or cluster or "default"
    out = console()
    with aws(args) as conn:
        target, previous = rollback_service(conn.ecs, cluster, name, args.to, duration(args.timeout, "--timeout"))
        out.print(f"Rolling Service/{cluster}/{name} back from {previous.rsplit('/', 1)[-1]} to "
                  f"{str(target.desired_task_definition).rsplit('/', 1)[-1]}.")
        if args.no_wait:
            return EXIT_OK
        with RolloutProgress(out) as progress:
            [result] = pipeline.wait([target], conn, progress, duration(args.poll, "--poll"))
    if not result.ok:
        error(f"rollback failed: {result.message}")
        return EXIT_ERROR
    out.print(f"[green]rolled back[/green] Service/{cluster}/{name}: {result.message}")
    out.print("note: git still declares the newer revision; the next apply rolls forward unless you change "
              "the manifest.")
    return EXIT_OK
