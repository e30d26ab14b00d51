"""`reconciler sandbox [--port N]`: run the embedded AWS on 127.0.0.1 in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from reconciler import log, pipeline
from reconciler.cli.common import EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sandbox", parents=[common], help="run the embedded AWS on 127.0.0.1",
                       description="Run the sandbox (moto, made to behave like ECS) in the foreground on "
                                   "127.0.0.1 until interrupted, and print the variables to export.")
    p.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566; 0 = any)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.sandbox import Sandbox
    from reconciler.sandbox.seed import SANDBOX_SECURITY_GROUP, SANDBOX_SUBNETS

    region = getattr(args, "region", None) or pipeline.SANDBOX_REGION
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Sandbox(port=args.port, region=region) as sandbox:
        print(f"export AWS_ENDPOINT_URL={sandbox.url}")
        print("export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        print(f"export AWS_REGION={region} AWS_DEFAULT_REGION={region}")
        subnets = " ".join(f"SUBNET_{chr(65 + i)}={s[0]}" for i, s in enumerate(SANDBOX_SUBNETS))
        print(f"# seeded network (the example manifests' defaults): {subnets} "
              f"SECURITY_GROUP={SANDBOX_SECURITY_GROUP}")
        sys.stdout.flush()
        log.get().info("Sandbox running; Ctrl-C to stop", endpoint=sandbox.url, region=region)
        stop.wait()
    return EXIT_OK
