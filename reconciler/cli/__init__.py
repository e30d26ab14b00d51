"""The `reconciler` command: parses arguments, runs one command, maps errors to exit codes.

One module per command (`validate`, `plan`, `apply`, `status`, `rollback`, `watch`, `importer` for
`import`, `schema`, `sandbox`), each with `register()` (its arguments and help) and `run()`; `common`
holds what they share.

Exit codes: 0 success; 1 error (bad input, AWS error, apply incomplete); 2 with `plan
--detailed-exitcode` when the plan has changes; 3 when another writer holds the lock.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from reconciler import __version__, log
from reconciler.cli import apply, arguments, importer, plan, rollback, sandbox, schema, status, validate, watch
from reconciler.cli.common import error, sensitive_patterns
from reconciler.errors import ReconcilerError
from reconciler.planning.mask import Masker

DESCRIPTION = """\
Reconcile AWS ECS with manifests kept in git: clusters, ECR repositories, task definitions, services,
one-off tasks, and a cluster's EC2 capacity (IAM role and instance profile, launch template, Auto Scaling
group, capacity provider).

Manifests are YAML (or JSON) documents (apiVersion: reconciler/v1, kind, metadata, spec) whose spec mirrors
the AWS API input of its kind, in that API's casing (RegisterTaskDefinition, CreateService, CreateCluster,
CreateRepository, RunTask; CreateRole, CreateInstanceProfile, CreateLaunchTemplate, CreateAutoScalingGroup,
CreateCapacityProvider).
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
  reconciler apply examples/ec2-cluster/ --sandbox     # EC2 container instances, replaced without losing a task
  reconciler sandbox --port 4566 &                     # then: export AWS_ENDPOINT_URL=...
  reconciler import --all-clusters -o ecs/             # start from what already runs (or --compose FILE)

AWS credentials, region and endpoint come from the standard chain (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, ~/.aws/config, instance roles...). Logs go to stderr; stdout carries only results.
"""

COMMANDS = (validate, plan, apply, status, rollback, watch, importer, schema, sandbox)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    arguments.common(common)
    parser = argparse.ArgumentParser(prog="reconciler", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts: dict[str, Any] = vars(args)
    log.configure(opts.get("log_format", "auto"), opts.get("log_level", "info"), Masker())
    try:
        log.add_patterns(sensitive_patterns(args))  # one set of secret names for the whole run
        code: int = args.run(args)
        return code
    except ReconcilerError as exc:
        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except Exception as exc:  # a bug: say so without a traceback (which could show values); details at debug
        log.get().debug("Crashed", exc_info=True)
        error(f"internal error (a bug in reconciler): {type(exc).__name__}: {exc}; run with --log-level debug "
              "for the traceback")
        return 1
