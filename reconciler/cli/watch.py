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
                                   "nothing until it is fixed. Serves /healthz, /readyz, /metrics and /status.",
                       epilog="examples:\n  reconciler watch manifests/ --sandbox\n"
                              "  reconciler watch --git https://git.example/ops.git --path ecs/prod "
                              "--lock-table reconciler-locks\n  reconciler watch manifests/ --suspend   "
                              "# report drift, change nothing")
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
                   help="HTTP endpoint for /healthz /readyz /metrics /status (default 127.0.0.1:9090; port 0: any)")
    p.add_argument("--suspend", action="store_true",
                   help="report drift but change nothing (one resource: annotation reconciler.io/suspend)")
    p.add_argument("--shard-by", choices=["cluster"], default=None,
                   help="share the work with other watchers (same --lock-table): one lease per cluster")
    p.add_argument("--timeout", default="10m", metavar="DURATION", help="rollout timeout per service")
    p.add_argument("--requeue", default="10s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--debounce", default="1.6s", metavar="DURATION", help=argparse.SUPPRESS)
    p.add_argument("--lease", default="30s", metavar="DURATION", help=argparse.SUPPRESS)
    arguments.owner(p)
    arguments.prune(p)
    arguments.lock(p, default_timeout="forever")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
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
    metrics, state = Metrics(), ControllerState()
    server = serve(state, metrics, host, port)
    log.get().info("Serving", url=f"http://{host}:{server.server_address[1]}",
                   endpoints="/healthz /readyz /metrics /status")
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
            conn.clients.on_client(lambda client: install_fencing([client], lock))
            log.get().info("Holding the lock", lock=lock.name)
        controller = Controller(source, conn, settings, metrics, state, shards=shards)
        if shards is not None:
            fence = _ShardFence(controller)
            conn.clients.on_client(lambda client: install_fencing([client], fence))

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
