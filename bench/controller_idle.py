"""Benchmark: what a watch pass costs with nobody viewing the page (in-process sandbox).

    .venv/bin/python bench/controller_idle.py [SERVICES] [PASSES]      (default: 100 services, 40 passes)

Applies SERVICES services once, then runs PASSES no-change resync passes (the steady state of a controller)
and prints the median and p90 pass time, the AWS calls of one pass, the size of what the loop publishes
(/status as JSON) and the Python memory still allocated after pass 10 and after the last pass (growth over
time would be a leak: the activity and service events are bounded). To compare with another checkout, run
this file with that checkout first on PYTHONPATH (it uses only Controller.reconcile_once and state.status()).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

from moto import mock_aws

from reconciler import pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.sources import DirectorySource
from reconciler.sandbox import install_ecs_fixes, seed_sandbox, set_pace

CLUSTER = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata: {name: bench}\nspec: {}\n"
TASKDEF = ("apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata: {name: app}\nspec:\n"
           "  containerDefinitions:\n    - {name: app, image: 'nginx:1', memory: 64}\n")
SERVICE = ("apiVersion: reconciler/v1\nkind: Service\nmetadata: {{name: svc-{i:04d}}}\nspec:\n  cluster: bench\n"
           "  taskDefinition: app\n  desiredCount: 0\n  launchType: EC2\n")


def main(services: int, passes: int) -> str:
    install_ecs_fixes()
    set_pace(0.001)
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        seed_sandbox(None, "us-east-1")
        documents = [CLUSTER, TASKDEF] + [SERVICE.format(i=i) for i in range(services)]
        Path(tmp, "all.yaml").write_text("---\n".join(documents))
        conn = pipeline.connect(AwsSettings(region="us-east-1", rate_share=None))  # moto does not throttle
        controller = Controller(DirectorySource([tmp]), conn, WatchSettings(options=pipeline.PlanOptions(),
                                                                            poll_seconds=0.01))
        first = controller.reconcile_once("start")
        assert first["result"] == "success", first
        while controller.watcher.pending:
            controller._poll_rollouts()
            time.sleep(0.01)
        seconds: list[float] = []
        tracemalloc.start()
        after_ten = 0
        for n in range(passes):
            start = time.perf_counter()
            summary = controller.reconcile_once("resync")
            seconds.append(time.perf_counter() - start)
            assert summary["result"] == "success" and summary.get("applied", 0) == 0, summary
            if n == 9:
                after_ten = tracemalloc.get_traced_memory()[0]
        current = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        published = len(json.dumps(controller.state.status(), default=str))
        seconds.sort()
        return (f"services={services}  passes={passes}  pass-median={statistics.median(seconds) * 1000:6.1f}ms  "
                f"pass-p90={seconds[int(len(seconds) * 0.9) - 1] * 1000:6.1f}ms  "
                f"aws-calls/pass={summary.get('awsCalls', '?')}  published={published / 1024:6.1f} KiB  "
                f"memory-after-10={after_ten / 2**20:5.2f} MiB  memory-after-{passes}={current / 2**20:5.2f} MiB")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    print(main(*(args + [100, 40][len(args):])))
