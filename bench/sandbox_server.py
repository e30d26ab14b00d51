"""The sandbox the benchmarks measure against, as a process of its own: `reconciler sandbox` (the same
``Sandbox``, the same ``Limits``: ``--aws-latency``, ``--aws-throttling``), plus a second port without latency or
throttling that only the benchmark's setup uses.

Why the second port: ECS lets an account register one task definition a second once its burst of 20 is spent,
so creating the 1,000 services of a scenario through the throttled port would take over 16 minutes before the
first measurement. Both ports serve the same moto state (moto's state is process-wide); every measured command
goes through the first one only.

    python bench/sandbox_server.py [--aws-latency 40ms] [--aws-throttling]

prints ``measured=URL setup=URL`` on its first line once both listen, and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from reconciler.cli.sandbox import latency_seconds
from reconciler.sandbox import Limits, Sandbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aws-latency", default="0ms")
    parser.add_argument("--aws-throttling", action="store_true")
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    limits = Limits(latency=latency_seconds(args.aws_latency), throttling=args.aws_throttling)
    with Sandbox(port=0, limits=limits) as sandbox:
        setup = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                            request_handler=MotoRequestHandler)
        thread = threading.Thread(target=setup.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        print(f"measured={sandbox.url} setup=http://127.0.0.1:{setup.server_address[1]}", flush=True)
        stop.wait()
        print(f"throttled={sum(sandbox.throttled().values())}", file=sys.stderr, flush=True)
        setup.shutdown()
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
