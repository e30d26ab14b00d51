"""`reconciler watch PATH... | --git URL`: the GitOps controller (see reconciler.controller)."""

from __future__ import annotations

import argparse
import signal
from typing import Any

from reconciler import log
from reconciler.cli import arguments
from reconciler.cli.common import (
    EXIT_OK,
    aws,
    duration,
    holder,
    lock_timeout,
    plan_options,
    variable_source,
    writer_lock,
)
from reconciler.errors import ReconcilerError


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("watch", parents=[common], help="the GitOps controller: keep AWS matching a directory or git",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Reconcile at start, on every change of the manifests (debounced), and every "
                                   "--resync interval (correcting drift made outside git). Rollouts are checked "
                                   "between passes, failures back off per resource, a bad manifest changes "
                                   "nothing until it is fixed. Serves a web page (/) and /healthz, /readyz, "
                                   "/metrics and /status on --listen; --notify posts what a person must know.",
                       epilog="examples:\n  reconciler watch manifests/ --sandbox\n"
                              "  reconciler watch --git https://git.example/ops.git --path ecs/prod "
                              "--lock-table reconciler-locks\n  reconciler watch manifests/ --suspend   "
                              "# report drift, change nothing\n"
                              "  reconciler watch --git https://github.com/acme/ops.git --notify-format slack "
                              "--notify https://hooks.slack.com/services/... --github-status")
    p.add_argument("paths", nargs="*", metavar="PATH", help="manifest files or directories (or use --git)")
    arguments.variables(p)
    p.add_argument("--git", metavar="URL", default=None, help="follow this git repository instead of PATHs")
    p.add_argument("--branch", default="main", help="branch to follow (default main)")
    p.add_argument("--path", dest="subpath", default="", metavar="SUBDIR", help="manifests directory in the repo")
    p.add_argument("--interval", default="1m", metavar="DURATION", help="how often to fetch git (default 1m)")
    p.add_argument("--workdir", default=None, metavar="DIR", help="where to keep the clone (default: a temp dir)")
    p.add_argument("--resync", default="5m", metavar="DURATION",
                   help="full pass this often even without changes: finds and corrects drift (default 5m)")
    p.add_argument("--listen", default="127.0.0.1:9090", metavar="HOST:PORT",
                   help="HTTP endpoint for the page (/) and /healthz /readyz /metrics /status (default "
                        "127.0.0.1:9090; port 0: any)")
    p.add_argument("--ui-allow-sync", action="store_true",
                   help="show a Sync now button on the page (a POST with a CSRF token that wakes the loop); "
                        "the page is read-only without it")
    p.add_argument("--ui-url", metavar="URL", default=None,
                   help="the page's address as people reach it, linked from notifications and commit statuses")
    p.add_argument("--notify", action="append", default=[], metavar="URL",
                   help="post a JSON event here on what a person must know (repeatable; also "
                        "$RECONCILER_NOTIFY, comma-separated, to keep webhook secrets off the command line)")
    p.add_argument("--notify-format", choices=["json", "slack"], default="json",
                   help="json: the event as it is (default); slack: a Slack-compatible message {text, blocks}")
    p.add_argument("--github-status", action="store_true",
                   help="set a GitHub commit status (pending, success, failure, error) on each commit applied; "
                        "needs --git and a token in $GITHUB_TOKEN")
    p.add_argument("--github-repo", metavar="OWNER/REPO", default=None,
                   help="the repository for --github-status (default: from the --git URL)")
    p.add_argument("--github-api", metavar="URL", default=None,
                   help="GitHub's API (default https://api.github.com, or https://HOST/api/v3 for a --git URL "
                        "on another host: GitHub Enterprise)")
    p.add_argument("--github-token-env", metavar="NAME", default="GITHUB_TOKEN",
                   help="the environment variable holding the GitHub token (default GITHUB_TOKEN); never logged")
    p.add_argument("--suspend", action="store_true",
                   help="report drift but change nothing (one resource: annotation reconciler.io/suspend)")
    p.add_argument("--shard-by", choices=["cluster"], default=None,
                   help="share the work with other watchers (same --lock-table): one lease per cluster")
    p.add_argument("--timeout", default="10m", metavar="DURATION", help="rollout timeout per service")
    p.add_argument("--requeue", default="10s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--debounce", default="1.6s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--lease", default="30s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--notify-backoff", default="1s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--ui-poll", default="2s", metavar="DURATION", help=argparse.SUPPRESS)
    arguments.owner(p)
    arguments.prune(p)
    arguments.lock(p, default_timeout="forever")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import tempfile

    from reconciler.controller.http import ControllerState, UiSettings, parse_listen, serve
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
    options = plan_options(args)
    settings = WatchSettings(options=options, variables=variable_source(args), resync=duration(args.resync, "--resync"),
                             requeue=duration(args.requeue, "--requeue"), suspend=args.suspend,
                             allow_empty=bool(args.prune and args.allow_empty),
                             rollout_timeout=duration(args.timeout, "--timeout"))
    workdir = args.workdir or tempfile.mkdtemp(prefix="reconciler-")
    source: Any
    if args.git:
        source = GitSource(args.git, args.branch, args.subpath, workdir, duration(args.interval, "--interval"))
    else:
        source = DirectorySource(args.paths, debounce_ms=int(duration(args.debounce, "--debounce") * 1000))
    metrics, state = Metrics(), ControllerState(source=source.describe())
    sinks = notification_sinks(args)
    ui = UiSettings(allow_sync=args.ui_allow_sync, poll_seconds=duration(args.ui_poll, "--ui-poll"))
    server = serve(state, metrics, host, port, ui)
    log.get().info("Serving", url=f"http://{host}:{server.server_address[1]}",
                   endpoints="/ /healthz /readyz /metrics /status", sync_button=args.ui_allow_sync)
    notifier = None
    if sinks:
        from reconciler.controller.notify import Notifier

        notifier = Notifier(sinks, metrics, base_delay=duration(args.notify_backoff, "--notify-backoff"))
        log.get().info("Notifying", targets=[f"{s.name} {s.target}" for s in sinks])
    with aws(args) as conn:
        lock: Any = None
        shards = None
        if args.shard_by:
            shards = ShardLeases(conn.clients.client("dynamodb"), args.lock_table, holder(), [],
                                 lease_seconds=duration(args.lease, "--lease"))
        else:
            lock = writer_lock(args, conn, options.owner)
            log.get().info("Waiting for the lock", lock=lock.name)
            lock.acquire(lock_timeout(args))
            install_fencing([conn.clients.ecs, conn.clients.ecr], lock)
            log.get().info("Holding the lock", lock=lock.name)
        controller = Controller(source, conn, settings, metrics, state, shards=shards, notifier=notifier)
        ui.wake = controller.wake.set
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
            if notifier is not None:
                notifier.close()
            server.shutdown()
    log.get().info("Stopped")
    return EXIT_OK


def notification_sinks(args: argparse.Namespace) -> list[Any]:
    """The --notify webhooks and the GitHub commit statuses, checked before anything starts."""
    import os
    from urllib.parse import urlsplit

    from reconciler.controller.sinks import GITHUB_REPO, GitHubStatusSink, WebhookSink, check_url, github_repo_from_git

    urls = list(args.notify) + [u.strip() for u in os.environ.get("RECONCILER_NOTIFY", "").split(",") if u.strip()]
    page_url = None
    try:
        if args.ui_url:
            page_url = check_url(args.ui_url, "--ui-url")
        for url in urls:
            check_url(url, "--notify")
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from exc
    # A webhook URL is a secret (Slack's carry their token in the path): never logged whole.
    log.remember(u for u in urls if urlsplit(u).path.strip("/") or urlsplit(u).query or "@" in urlsplit(u).netloc)
    sinks: list[Any] = [WebhookSink(url, args.notify_format, page_url) for url in urls]
    if args.github_status:
        if not args.git:
            raise ReconcilerError("--github-status needs --git: commit statuses are set on the commits it applies")
        derived = github_repo_from_git(args.git)
        repo = args.github_repo or (derived[1] if derived else None)
        if not repo or not GITHUB_REPO.match(repo):
            raise ReconcilerError("--github-status: name the repository with --github-repo OWNER/REPO (it could not "
                                  "be read from the --git URL)")
        api = args.github_api or (derived[0] if derived else "https://api.github.com")
        try:
            check_url(api, "--github-api")
        except ValueError as exc:
            raise ReconcilerError(str(exc)) from exc
        token = os.environ.get(args.github_token_env, "").strip()
        if not token:
            raise ReconcilerError(f"--github-status needs a GitHub token in ${args.github_token_env} (one that may "
                                  "write commit statuses: classic scope repo:status, or fine-grained 'Commit "
                                  "statuses: write')")
        log.remember([token])
        context = "reconciler" if args.owner == "reconciler" else f"reconciler/{args.owner}"
        sinks.append(GitHubStatusSink(api, repo, token, context, page_url))
    elif args.github_repo or args.github_api:
        raise ReconcilerError("--github-repo and --github-api go with --github-status")
    return sinks


class _ShardFence:
    """Fencing with shards: a write goes out only while this watcher still holds every shard the pass acts on."""

    name = "shard leases"

    def __init__(self, controller: Any) -> None:
        self.controller = controller

    def check(self) -> None:
        self.controller.check_fence()
