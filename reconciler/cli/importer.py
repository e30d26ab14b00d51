"""`reconciler import`: write manifests for what already exists (live AWS), a Docker Compose file (with the
ECS CLI's ecs-params.yml) or task definition JSON. ("import" is a Python keyword: the module is `importer`.)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.cli.common import EXIT_OK, aws, sensitive_patterns
from reconciler.errors import Problem, ReconcilerError
from reconciler.importing import writer
from reconciler.importing.document import ImportResult
from reconciler.importing.secrets import HINT, SecretVariables, required_variables

EPILOG = """\
examples:
  reconciler import --cluster prod -o ecs/                  # a cluster, its services, task definitions, images
  reconciler import --cluster prod --service web -o ecs/    # one service (and its cluster)
  reconciler import --all-clusters -o ecs/                  # the whole account (this region)
  reconciler import --compose docker-compose.yml --ecs-params ecs-params.yml -o ecs/
  reconciler import --task-definition web.json -o ecs/      # describe-task-definition output, or a
                                                            # RegisterTaskDefinition document

Layout: clusters/<cluster>/cluster.yaml, clusters/<cluster>/<service>/{service,taskdef}.yaml,
task-definitions/<family>.yaml (shared by several services, or from JSON), repositories/<name>.yaml.
Live imports carry reconciler.io/adopt: "true": the first plan shows only the ownership tags.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[common], help="write manifests for what exists (AWS, compose, JSON)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Write manifests for resources that exist in AWS (exact: plan then shows "
                                   "only the adoption), for a Docker Compose file (as the ECS CLI mapped it) or "
                                   "for task definition JSON. Values that look secret are written as ${VAR} "
                                   "references, never in clear. Existing files are not overwritten without "
                                   "--force.")
    live = p.add_argument_group("from live AWS")
    live.add_argument("--cluster", action="append", default=[], metavar="NAME",
                      help="a cluster to import with its services (repeatable); with --compose, the cluster the "
                           "service runs on (default: the project name)")
    live.add_argument("--service", action="append", default=[], metavar="NAME",
                      help="only these services of the clusters (repeatable)")
    live.add_argument("--all-clusters", action="store_true", help="every cluster of the account in this region")
    compose = p.add_argument_group("from Docker Compose")
    compose.add_argument("--compose", metavar="FILE", help="a docker-compose.yml (compose v2 or v3)")
    compose.add_argument("--ecs-params", metavar="FILE",
                         help="the ECS CLI's ecs-params.yml (default: ecs-params.yml beside the compose file)")
    compose.add_argument("--project-name", metavar="NAME",
                         help="task family and service name (default: the compose file's `name`, or its "
                              "directory's name)")
    compose.add_argument("--launch-type", choices=["FARGATE", "EC2"],
                         help="default: FARGATE when ecs-params.yml sets awsvpc and a task size, else EC2")
    compose.add_argument("--split", action="store_true",
                         help="one task definition and service per compose service (as Docker Compose's ECS "
                              "integration did) instead of one task holding every container (as the ECS CLI did)")
    raw = p.add_argument_group("from task definition JSON")
    raw.add_argument("--task-definition", action="append", default=[], metavar="FILE",
                     help="describe-task-definition output or a RegisterTaskDefinition document (repeatable)")
    raw.add_argument("--adopt", action="store_true",
                     help="annotate the task definitions reconciler.io/adopt: \"true\" (live imports always are)")
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="where to write the manifests")
    out.add_argument("--format", choices=writer.FORMATS, default="yaml",
                     help="yaml (default) or json: the same documents as .json files")
    out.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(run=run)


def _source(args: argparse.Namespace) -> str:
    chosen = [name for name, on in (("--compose", bool(args.compose)),
                                    ("--task-definition", bool(args.task_definition)),
                                    ("--cluster/--all-clusters", bool(args.all_clusters or (
                                        args.cluster and not args.compose)))) if on]
    if not chosen:
        raise ReconcilerError("nothing to import: give --cluster NAME (or --all-clusters), --compose FILE or "
                              "--task-definition FILE")
    if len(chosen) > 1:
        raise ReconcilerError(f"import from one source at a time, not {' and '.join(chosen)}")
    if args.service and chosen[0] != "--cluster/--all-clusters":
        raise ReconcilerError("--service selects services of live clusters: give --cluster or --all-clusters")
    if chosen[0] == "--compose" and len(args.cluster) > 1:
        raise ReconcilerError("--compose runs on one cluster: give --cluster once")
    compose_only = [o for o, v in (("--ecs-params", args.ecs_params), ("--project-name", args.project_name),
                                   ("--launch-type", args.launch_type), ("--split", args.split)) if v]
    if compose_only and chosen[0] != "--compose":
        raise ReconcilerError(f"{', '.join(compose_only)}: only with --compose")
    if args.adopt and chosen[0] != "--task-definition":
        raise ReconcilerError("--adopt is for --task-definition (live imports are always adopted)")
    return chosen[0]


def run(args: argparse.Namespace) -> int:
    source = _source(args)
    if source == "--cluster/--all-clusters":
        from reconciler.importing.live import import_live

        with aws(args) as conn:
            result = import_live(conn.ecs, conn.ecr, conn.clients.region, args.cluster, args.service,
                                 args.all_clusters, conn.capacity)
        origin = f"live AWS ({conn.clients.region})"
    elif source == "--compose":
        from reconciler.importing.compose import ComposeOptions, import_compose

        result = import_compose(args.compose, ComposeOptions(
            project=args.project_name, cluster=args.cluster[0] if args.cluster else None,
            launch_type=args.launch_type, split=args.split, ecs_params=args.ecs_params))
        origin = args.compose
    else:
        from reconciler.importing.taskdef_json import import_files

        result = import_files(args.task_definition, adopt=args.adopt)
        origin = ", ".join(args.task_definition)
    if not result.documents:
        raise ReconcilerError("nothing found to import")
    masker = SecretVariables(sensitive_patterns(args), escape_strings=source != "--compose")
    for doc in result.documents:
        masker.mask(doc)
    out_dir = Path(args.output_dir)
    written = writer.write(result.documents, out_dir, args.format, args.force)
    after = {"--cluster/--all-clusters": "it shows only the adoption; `apply` then takes ownership",
             "--compose": "then `apply` creates them",
             "--task-definition": "no change against the revision it came from"}[source]
    _report(result, written, out_dir, origin, args.format, after)
    return EXIT_OK


def _render(problem: Problem) -> str:
    if problem.file:
        return problem.render()
    parts = [p for p in (problem.document, problem.path) if p]
    return ": ".join([*parts, problem.message])


def _report(result: ImportResult, written: list[writer.Written], out_dir: Path, origin: str, fmt: str,
            after: str) -> None:
    for warning in result.warnings:
        print(f"warning: {_render(warning)}", file=sys.stderr)
    out = sys.stdout
    noun = "manifest" if len(written) == 1 else "manifests"
    out.write(f"Imported {len(written)} {noun} from {origin} into {out_dir}/:\n")
    width = max(len(str(w.path)) for w in written)
    for item in written:
        out.write(f"  {item.path!s:<{width}}  {item.document.label}\n")
    masked = [(item, m) for item in written for m in item.document.masked]
    if masked:
        out.write("\nValues that look secret were written as variables; pass them to plan and apply with "
                  "--var NAME=VALUE (or the environment):\n")
        for item, m in masked:
            out.write(f"  ${{{m.variable}}}  {item.path}: {m.path}\n")
        out.write(f"Better: {HINT}.\n")
    if result.warnings:
        out.write(f"\n{len(result.warnings)} warning(s) on stderr.\n")
    variables = " ".join(f"--var {v}=..." for v in required_variables(w.document for w in written))
    out.write(f"\nNext: reconciler plan {out_dir}/{' ' + variables if variables else ''}   ({after})\n")
    if fmt == "yaml":
        out.write(f"Editor support: reconciler schema > {out_dir / writer.SCHEMA_FILE}\n")
