"""Argument groups several commands share (AWS and output options, manifests, ownership, prune, lock)."""

from __future__ import annotations

import argparse
import os


def common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("AWS and output")
    g.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (default: the standard chain)")
    g.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile from ~/.aws/config")
    g.add_argument("--sandbox", action="store_true", default=argparse.SUPPRESS,
                   help="run against an ephemeral in-process sandbox (embedded AWS), not real AWS")
    g.add_argument("--log-format", choices=["auto", "console", "json"], default=argparse.SUPPRESS,
                   help="logs on stderr: console on a terminal, JSON lines otherwise (default: auto)")
    g.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default=argparse.SUPPRESS)
    g.add_argument("--sensitive-pattern", action="append", metavar="WORD", default=argparse.SUPPRESS,
                   help="also treat names with this word as secret (repeatable; added to PASSWORD, SECRET, TOKEN, "
                        "KEY, CREDENTIAL...; also $RECONCILER_SENSITIVE_PATTERNS): their values show as (sensitive)")
    g.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="when the command ends, print the AWS calls it made, by operation, on stderr")
    g = parser.add_argument_group("AWS cost")
    g.add_argument("--aws-rate-share", metavar="SHARE", default=argparse.SUPPRESS,
                   help="share of ECS's request quotas (per group of actions) this run may use, above 0 and at most "
                        "1 (default 0.8, or $RECONCILER_AWS_RATE_SHARE); lower it where other tools share the account; "
                        "off: no client-side limit (a sandbox without --aws-throttling)")
    g.add_argument("--aws-concurrency", metavar="N", default=argparse.SUPPRESS,
                   help="AWS requests made at once (default 8, or $RECONCILER_AWS_CONCURRENCY)")
    g.add_argument("--cache-dir", metavar="DIR", default=argparse.SUPPRESS,
                   help="where task definition revisions already read are kept between runs (default "
                        "$RECONCILER_CACHE_DIR, else $XDG_CACHE_HOME/reconciler or ~/.cache/reconciler); safe to "
                        "delete")
    g.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS,
                   help="neither read nor write the cache directory (revisions are still read once per run)")


def variables(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                        help="set a variable for ${KEY} substitution (overrides the environment)")
    parser.add_argument("--allow-env", action="append", default=[], metavar="PATTERN",
                        help="let ${NAME} read NAME from the environment when it matches PATTERN (a name or a glob "
                             "such as APP_*; comma-separated lists too; also $RECONCILER_ALLOW_ENV). Allowed by "
                             "default: AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCOUNT_ID, IMAGE_TAG, *_IMAGE_TAG. Names "
                             "that look secret (..._KEY, ..._TOKEN, ...PASSWORD) only when named exactly")


def manifests(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="manifest files or directories (searched recursively for *.yaml, *.yml)")
    variables(parser)


def prune(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prune", action="store_true",
                        help="also remove what left git: only resources carrying this owner's tag; services are "
                             "drained first, repositories only with a deletion policy (see README)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="with --prune, accept an empty manifest set (which removes everything this owner "
                             "owns); refused otherwise")
    parser.add_argument("--keep-revisions", type=int, default=5, metavar="N",
                        help="with --prune, task definition revisions kept per family besides those in use "
                             "(default 5)")


def lock(parser: argparse.ArgumentParser, default_timeout: str) -> None:
    parser.add_argument("--lock-table", metavar="NAME", default=None,
                        help="DynamoDB table for the lock (created if missing): writers on any machine exclude "
                             "each other. Without it, a local file lock protects this machine only")
    parser.add_argument("--lock-timeout", metavar="DURATION", default=default_timeout,
                        help=f"how long to wait for the lock before exiting 3 (default {default_timeout})")


def owner(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--retry-failed", action="store_true",
                        help="retry service revisions whose rollout failed before (normally held until the "
                             "manifest changes)")
    parser.add_argument("--owner", default=os.environ.get("RECONCILER_OWNER", "reconciler"),
                        help="owner id written to and checked on the reconciler:managed-by tag "
                             "(default: $RECONCILER_OWNER or 'reconciler')")
    parser.add_argument("--adopt", action="append", default=[], metavar="KIND/NAME",
                        help="take over an existing resource this owner does not own yet, e.g. "
                             "Service/prod/web (or annotate its manifest reconciler.io/adopt: \"true\")")
