"""What every command shares: exit codes, the console, loading manifests, connecting to AWS (or the
sandbox), durations and the writers' lock. Commands live one per module beside this one."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler import loader, log, pipeline, variables
from reconciler.aws.clients import AwsSettings
from reconciler.aws.ratelimit import SHARE_ENV, share_from
from reconciler.errors import ManifestError, ReconcilerError
from reconciler.live import parallel
from reconciler.live.cache import default_directory
from reconciler.model.manifest import parse_duration
from reconciler.model.sensitive import PATTERNS_ENV, configured_patterns
from reconciler.planning.mask import secret_values

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def error(message: str) -> None:
    """An error for people on stderr, with this run's known secret values redacted."""
    for line in log.redact(message).splitlines():
        print(f"error: {line}", file=sys.stderr)


def warning(message: str) -> None:
    for line in log.redact(message).splitlines():
        print(f"warning: {line}", file=sys.stderr)


def sensitive_patterns(args: argparse.Namespace) -> tuple[str, ...]:
    """The names treated as secret in this run: the defaults, --sensitive-pattern and $RECONCILER_SENSITIVE_PATTERNS."""
    try:
        return configured_patterns(getattr(args, "sensitive_pattern", None) or [], os.environ.get(PATTERNS_ENV))
    except ValueError as exc:
        raise ReconcilerError(f"--sensitive-pattern/{PATTERNS_ENV}: {exc}") from exc


def console() -> Any:
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 160  # logs and CI output: no terminal to fit, do not squeeze tables to 80 columns
    return out


def assignments(args: argparse.Namespace) -> dict[str, str]:
    try:
        given = variables.parse_assignments(args.var)
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from exc
    masker = log.masker()
    log.remember(value for name, value in given.items() if masker.secret(name))  # before anything can echo them
    return given


def variable_source(args: argparse.Namespace) -> variables.Variables:
    """--var values, and the environment as far as the allowlist (defaults, $RECONCILER_ALLOW_ENV,
    --allow-env) lets manifests read it."""
    try:
        return variables.Variables.from_process(assignments(args), getattr(args, "allow_env", []))
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from exc


def load(args: argparse.Namespace, show_warnings: bool = False) -> loader.ManifestSet:
    """Load the manifests; with `show_warnings`, print what is worth knowing (e.g. an unknown annotation) on
    stderr (plan and apply show them in the plan instead). Warnings are printed beside errors too."""
    allow_empty = bool(getattr(args, "prune", False) and getattr(args, "allow_empty", False))
    try:
        manifests = loader.load(args.paths, variable_source(args), allow_empty=allow_empty)
    except ManifestError as exc:
        for problem in exc.warnings:
            warning(problem.render())
        raise
    remember_secrets(manifests)
    if show_warnings:
        for problem in manifests.warnings:
            warning(problem.render())
    log.get().info("Loaded manifests", files=len(manifests.files), manifests=len(manifests.manifests),
                   warnings=len(manifests.warnings))
    return manifests


def remember_secrets(manifests: loader.ManifestSet) -> None:
    """Redact the manifests' secret values from all output from now on (free text: logs, errors, messages)."""
    log.remember(secret_values(manifests.manifests, log.masker()))


def aws_cost_settings(args: argparse.Namespace) -> tuple[float | None, int]:
    """(--aws-rate-share, --aws-concurrency), from the options or the environment; the number of concurrent
    requests is set for this process."""
    try:
        share = share_from(getattr(args, "aws_rate_share", None))
    except ValueError as exc:
        raise ReconcilerError(f"--aws-rate-share/{SHARE_ENV}: {exc}") from exc
    try:
        workers = parallel.workers_from(getattr(args, "aws_concurrency", None))
    except ValueError as exc:
        raise ReconcilerError(f"--aws-concurrency/{parallel.WORKERS_ENV}: {exc}") from exc
    parallel.configure(workers)
    return share, workers


def cache_dir(args: argparse.Namespace) -> Path | None:
    """The cache directory of this run; None with --no-cache (and for the ephemeral --sandbox)."""
    if getattr(args, "no_cache", False) or getattr(args, "sandbox", False):
        return None
    given = getattr(args, "cache_dir", None)
    return Path(given) if given else default_directory()


@contextlib.contextmanager
def aws(args: argparse.Namespace) -> Iterator[pipeline.Connection]:
    """A connection to AWS (or the sandbox) for one command; the AWS calls it made are reported at the end."""
    region = getattr(args, "region", None)
    share, workers = aws_cost_settings(args)
    started = time.monotonic()
    if getattr(args, "sandbox", False):
        with pipeline.sandbox_settings(region) as settings:
            log.get().info("Started ephemeral sandbox", endpoint=settings.endpoint_url)
            conn = pipeline.connect(replace(settings, rate_share=share, max_connections=workers + 2))
            try:
                yield conn
            finally:
                report_calls(conn, args, time.monotonic() - started)
    else:
        conn = pipeline.connect(AwsSettings(region=region, profile=getattr(args, "profile", None), rate_share=share,
                                            max_connections=workers + 2), cache_dir(args))
        try:
            yield conn
        finally:
            pipeline.save_cache(conn)
            report_calls(conn, args, time.monotonic() - started)


def report_calls(conn: pipeline.Connection, args: argparse.Namespace, seconds: float) -> None:
    """What the command cost in AWS calls: a log event (debug), and with -v a table on stderr."""
    calls = conn.clients.calls
    by_operation, attempts = calls.snapshot()
    waited = round(sum(conn.clients.limiter.waited.values()), 2)
    log.get().debug("AWS calls", calls=sum(by_operation.values()), attempts=attempts, throttled=calls.throttled,
                   rate_limited_seconds=waited, seconds=round(seconds, 2),
                   by_operation=dict(sorted(by_operation.items())))
    if not getattr(args, "verbose", False):
        return
    total = sum(by_operation.values())
    print(f"AWS calls: {total} in {seconds:.2f}s ({attempts} HTTP attempts, {calls.throttled} throttled and "
          f"retried, {waited:.2f}s waiting for the rate limit)", file=sys.stderr)
    width = max((len(name) for name in by_operation), default=0)
    for name, count in sorted(by_operation.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name:<{width}}  {count:6d}", file=sys.stderr)


def duration(text: str, option: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ReconcilerError(f"{option}: {exc}") from exc


def plan_options(args: argparse.Namespace) -> pipeline.PlanOptions:
    if args.keep_revisions < 1:
        raise ReconcilerError("--keep-revisions must be at least 1")
    return pipeline.PlanOptions(owner=args.owner, adopt=frozenset(args.adopt), retry_failed=args.retry_failed,
                                prune=args.prune, keep_revisions=args.keep_revisions,
                                sensitive_patterns=sensitive_patterns(args))


def lock_timeout(args: argparse.Namespace) -> float:
    if args.lock_timeout in ("forever", "inf", "infinite"):
        return float("inf")
    if args.lock_timeout in ("0", "0s"):
        return 0.0
    return duration(args.lock_timeout, "--lock-timeout")


def writer_lock(args: argparse.Namespace, conn: pipeline.Connection, owner: str) -> Any:
    """The writers' lock: a DynamoDB lease (--lock-table) or a local file lock."""
    from reconciler.locking import dynamodb_lock, file_lock

    timeout = lock_timeout(args)
    scope = f"{conn.clients.endpoint}|{conn.clients.region}|{owner}"
    if args.lock_table:
        key = f"{owner}/{conn.clients.region}"
        return dynamodb_lock(conn.clients.client("dynamodb"), args.lock_table, key, holder(), timeout,
                             lease_seconds=duration(getattr(args, "lease", "30s"), "--lease"))
    return file_lock(None, scope, timeout)


def holder() -> str:
    from reconciler.locking import default_holder

    return default_holder()
