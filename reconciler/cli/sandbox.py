"""`reconciler sandbox [--port N] [--aws-latency D] [--aws-throttling]`: run the embedded AWS on 127.0.0.1 in
the foreground (the `sandbox` extra)."""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from typing import Any

from reconciler import log, pipeline
from reconciler.cli.common import EXIT_OK
from reconciler.errors import ReconcilerError

_LATENCY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sandbox", parents=[common], help="run the embedded AWS on 127.0.0.1",
                       description="Run the sandbox (moto, made to behave like ECS) in the foreground on "
                                   "127.0.0.1 until interrupted, and print the variables to export once it is "
                                   "seeded and listening. Needs the extra: "
                                   f"{pipeline.SANDBOX_INSTALL}")
    p.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566; 0 = any)")
    p.add_argument("--aws-latency", default="0ms", metavar="DURATION",
                   help="delay every AWS request by this much, like a round trip to a region, e.g. 40ms "
                        "(default: none)")
    p.add_argument("--aws-throttling", action="store_true",
                   help="throttle ECS requests with ECS's documented token buckets per group of actions, "
                        "answering ThrottlingException like ECS (default: off)")
    p.set_defaults(run=run)


def latency_seconds(text: str) -> float:
    """Seconds from "40ms", "0.04s" or "0ms"."""
    match = _LATENCY.match(text)
    if match is None:
        raise ReconcilerError(f"--aws-latency: not a duration: {text!r} (use e.g. 40ms or 0.04s)")
    seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
    if seconds >= 60:
        raise ReconcilerError(f"--aws-latency: {text!r} is too long (at most 60s)")
    return seconds


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ReconcilerError(f"--port: {args.port} is not a port (0-65535)")
    latency = latency_seconds(args.aws_latency)
    region = getattr(args, "region", None) or pipeline.SANDBOX_REGION
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sandbox_package = pipeline.load_sandbox()
    with pipeline.running_sandbox(args.port, region, latency=latency, throttling=args.aws_throttling) as sandbox:
        print(f"export AWS_ENDPOINT_URL={sandbox.url}")
        print("export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        print(f"export AWS_REGION={region} AWS_DEFAULT_REGION={region}")
        subnets = " ".join(f"SUBNET_{chr(65 + i)}={s[0]}" for i, s in enumerate(sandbox_package.SANDBOX_SUBNETS))
        print(f"# seeded network (the example manifests' defaults): {subnets} "
              f"SECURITY_GROUP={sandbox_package.SANDBOX_SECURITY_GROUP}")
        sys.stdout.flush()
        log.get().info("Sandbox running; Ctrl-C to stop", endpoint=sandbox.url, region=region,
                       aws_latency_ms=round(latency * 1000, 3), aws_throttling=args.aws_throttling)
        stop.wait()
    return EXIT_OK
