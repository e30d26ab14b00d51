"""Every benchmark of issue 9 in one run, against the sandbox as a process of its own (bench/sandbox_server.py, the
`reconciler sandbox` of the product plus an unthrottled port for the setup), as a user runs the tools:

1. a no-op `plan` of N = 100, 300, 1,000 services (an account of 1,000 services over 10 clusters, each on a task
   definition family of its own; the plan covers the first N): cold (an empty cache directory), warm (the next
   CLI run) and a `watch` resync pass;
2. an image change on 20 services until every rollout completed: `reconciler apply`, then ecs-deploy (one
   `ecs deploy` per service, as its users script it), then the AWS CLI (`describe-task-definition`,
   `register-task-definition`, `update-service`, `wait services-stable` per service), each through a proxy that
   counts its requests;
3. loading and validating 1,000 manifests (in-process, and `reconciler validate`);
4. `watch` over 1,000 services for `--watch-passes` resync passes (default 200; a pass over 1,000 services takes
   about 6 s on 2 cores): resident memory at pass 10 and at the last pass, and the same watch over 20 services;
5. `bench/import_scale.py` (reconciler import), as it was.

(1) runs on a sandbox without latency or throttling, with `--aws-latency 40ms`, and with
`--aws-latency 40ms --aws-throttling`; (2) without, and with `--aws-latency 40ms --aws-throttling`
(`--rollout-configs`: the peers take minutes each). Results: bench/results.json, and the table in bench/README.md
(between its `results` markers; a `--quick` run or another `--out` writes the table beside the JSON instead).

    .venv/bin/python bench/run.py [--quick] [--only plan,rollout,load,watch,import]

`--quick`: N = 100 and 300, 30 watch passes, the sandbox without latency only (a smoke run: about 15 minutes, most
of it the AWS CLI's 15-second waiter). The whole run takes about an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import report  # (bench/ is on the path: this file is run as a script)
import scenario
import tools

ACCOUNT_SERVICES, ACCOUNT_CLUSTERS = 1000, 10
ROLLOUT_SERVICES = 20
DEFAULT_OUT = tools.BENCH / "results.json"
README = tools.BENCH / "README.md"
CONFIGS = {"none": [], "latency": ["--aws-latency", "40ms"],
           "latency+throttling": ["--aws-latency", "40ms", "--aws-throttling"]}


def setup_account(sb: tools.Sandbox, work: Path) -> None:
    """1,000 services (and the 20 of the rollout), created through the setup port by `reconciler apply`."""
    account = scenario.write(work / "account", ACCOUNT_SERVICES, ACCOUNT_CLUSTERS)
    rollout = scenario.write_rollout(work / "rollout-setup", ROLLOUT_SERVICES, tag="1.0")
    env = sb.env(sb.setup)
    for path in (account, rollout):
        tools.checked(tools.run([tools.CLI, "apply", str(path), "--no-wait", "--no-cache", "--aws-rate-share", "off",
                                 "--log-level", "warning"], env), f"setup apply of {path.name}")
    # Every rollout of the setup done (the sandbox steps once a second): the measurements start from steady state.
    tools.checked(tools.run([tools.CLI, "apply", str(rollout), "--no-cache", "--aws-rate-share", "off",
                             "--log-level", "warning"], env), "setup rollouts")


def plan_benchmark(sb: tools.Sandbox, work: Path, sizes: list[int], throttled: bool) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        manifests = scenario.write(work / f"plan-{n}", n, ACCOUNT_CLUSTERS)
        cache = work / f"cache-{n}"
        shutil.rmtree(cache, ignore_errors=True)
        args = [tools.CLI, "plan", str(manifests), "-v", "--cache-dir", str(cache), "--log-level", "warning"]
        cold = tools.checked(tools.run(args, sb.env()), f"cold plan of {n}")
        warm = tools.checked(tools.run(args, sb.env()), f"warm plan of {n}")
        assert "No changes." in warm.out, warm.out[-500:]
        watcher = tools.Watcher([str(manifests), "--resync", "1s", "--cache-dir", str(cache)], sb.env())
        try:
            passes = [watcher.next_pass() for _ in range(3)]
        finally:
            watcher.stop()
        resync = passes[-1]
        rows.append({"services": n, "cold": {"seconds": round(cold.seconds, 2), **tools.verbose_calls(cold.err)},
                     "warm": {"seconds": round(warm.seconds, 2), **tools.verbose_calls(warm.err)},
                     "watchPass": {"seconds": resync["durationSeconds"], "calls": resync["awsCalls"],
                                   "byOperation": resync["awsCallsByOperation"], "trigger": resync["trigger"]}})
        if n == max(sizes) and not throttled:
            # What the cold plan costs without the client-side limit (the sandbox here does not throttle): the part
            # of the cold time that is ECS's task definition read bucket (20/s), not the product.
            shutil.rmtree(cache, ignore_errors=True)
            free = tools.checked(tools.run([*args, "--aws-rate-share", "off"], sb.env()), f"cold unlimited {n}")
            rows[-1]["coldUnlimited"] = {"seconds": round(free.seconds, 2), **tools.verbose_calls(free.err)}
        print(f"    plan N={n}: cold {rows[-1]['cold']['seconds']}s, warm {rows[-1]['warm']['seconds']}s "
              f"({rows[-1]['warm'].get('calls')} calls), watch pass {resync['durationSeconds']}s"
              + (f", cold without the rate limit {rows[-1]['coldUnlimited']['seconds']}s"
                 if "coldUnlimited" in rows[-1] else ""), flush=True)
    return rows


def rollout_benchmark(sb: tools.Sandbox, work: Path) -> dict[str, Any]:
    names = [scenario.rollout_service(i) for i in range(ROLLOUT_SERVICES)]
    out: dict[str, Any] = {}
    with tools.counting_proxy(sb.measured) as (url, counts):
        env = sb.env(url)
        cache = work / "cache-rollout"
        ours = scenario.write_rollout(work / "rollout-ours", ROLLOUT_SERVICES, tag="2.0")
        tools.checked(tools.run([tools.CLI, "plan", str(work / "rollout-setup"), "--cache-dir", str(cache)], env),
                      "warm-up plan")  # (a CI runner's cache directory has seen the account before)
        time.sleep(25)  # every ECS bucket full again
        counts.take()
        result = tools.checked(tools.run([tools.CLI, "apply", str(ours), "-v", "--cache-dir", str(cache),
                                          "--log-level", "warning"], env), "reconciler apply")
        out["reconciler"] = {"seconds": round(result.seconds, 2), "calls": sum(counts.take().values()),
                             **{k: v for k, v in tools.verbose_calls(result.err).items() if k != "calls"}}
        print(f"    rollout reconciler: {out['reconciler']['seconds']}s, {out['reconciler']['calls']} calls",
              flush=True)

        time.sleep(25)
        started = time.perf_counter()
        for name in names:
            tools.checked(tools.run([str(tools.BIN / "ecs"), "deploy", scenario.ROLLOUT_CLUSTER, name, "-i", "app",
                                     f"{scenario.IMAGE}:3.0", "--timeout", "600"], env), f"ecs deploy {name}")
        by_operation = counts.take()
        out["ecs-deploy"] = {"seconds": round(time.perf_counter() - started, 2), "calls": sum(by_operation.values()),
                             "byOperation": dict(sorted(by_operation.items()))}
        print(f"    rollout ecs-deploy: {out['ecs-deploy']['seconds']}s, {out['ecs-deploy']['calls']} calls",
              flush=True)

        time.sleep(25)
        started = time.perf_counter()
        aws = str(tools.BIN / "aws")
        for name in names:
            described = json.loads(tools.checked(tools.run(
                [aws, "ecs", "describe-task-definition", "--task-definition", name, "--output", "json"], env),
                f"describe {name}").out)["taskDefinition"]
            spec = {k: described[k] for k in ("family", "containerDefinitions", "requiresCompatibilities",
                                              "networkMode", "cpu", "memory", "executionRoleArn") if k in described}
            spec["containerDefinitions"][0]["image"] = f"{scenario.IMAGE}:4.0"
            (work / "taskdef.json").write_text(json.dumps(spec))
            registered = json.loads(tools.checked(tools.run(
                [aws, "ecs", "register-task-definition", "--cli-input-json", f"file://{work / 'taskdef.json'}",
                 "--output", "json"], env), f"register {name}").out)["taskDefinition"]["taskDefinitionArn"]
            tools.checked(tools.run([aws, "ecs", "update-service", "--cluster", scenario.ROLLOUT_CLUSTER, "--service",
                                     name, "--task-definition", registered, "--output", "json"], env),
                          f"update-service {name}")
            tools.checked(tools.run([aws, "ecs", "wait", "services-stable", "--cluster", scenario.ROLLOUT_CLUSTER,
                                     "--services", name], env), f"wait {name}")
        by_operation = counts.take()
        out["aws-cli"] = {"seconds": round(time.perf_counter() - started, 2), "calls": sum(by_operation.values()),
                          "byOperation": dict(sorted(by_operation.items()))}
        print(f"    rollout aws-cli: {out['aws-cli']['seconds']}s, {out['aws-cli']['calls']} calls", flush=True)
    return out


def load_benchmark(work: Path) -> dict[str, Any]:
    """1,000 manifests: 500 services and their 500 task definitions (and 10 clusters)."""
    manifests = scenario.write(work / "load", 500, 10)
    code = ("import sys, time; from reconciler import loader; t = time.perf_counter(); "
            "m = loader.load([sys.argv[1]]); print(time.perf_counter() - t, len(m.manifests))")
    inproc = [float(tools.checked(tools.run([sys.executable, "-c", code, str(manifests)], {}), "load").out.split()[0])
              for _ in range(5)]
    cli = [tools.checked(tools.run([tools.CLI, "validate", str(manifests), "--log-level", "warning"], {}),
                         "validate").seconds for _ in range(5)]
    return {"manifests": 1010, "loadSeconds": round(statistics.median(inproc), 2),
            "validateCliSeconds": round(statistics.median(cli), 2), "runs": 5}


def watch_memory(sb: tools.Sandbox, work: Path, passes: int) -> dict[str, Any]:
    manifests = work / "account"
    cache = work / "cache-1000"
    watcher = tools.Watcher([str(manifests), "--resync", "0.5s", "--cache-dir", str(cache)], sb.env())
    memory: dict[str, float] = {}
    seconds: list[float] = []
    try:
        for number in range(1, passes + 1):
            last = watcher.next_pass()
            seconds.append(float(last["durationSeconds"]))
            if number in (10, passes):
                memory[f"pass{number}"] = round(tools.rss_mib(watcher.process.pid), 1)
                print(f"    watch pass {number}: {memory[f'pass{number}']} MiB", flush=True)
    finally:
        watcher.stop()
    first, final = memory["pass10"], memory[f"pass{passes}"]
    # The same controller over the 20 services of the rollout: what any watch costs before its first service.
    small = tools.Watcher([str(work / "rollout-setup"), "--resync", "0.5s", "--cache-dir", str(work / "cache-small")],
                          sb.env())
    try:
        for _ in range(10):
            small.next_pass()
        baseline = round(tools.rss_mib(small.process.pid), 1)
    finally:
        small.stop()
    print(f"    watch over {ROLLOUT_SERVICES} services, pass 10: {baseline} MiB", flush=True)
    return {"services": ACCOUNT_SERVICES, "passes": passes, "rssMiB": memory,
            "rssMiBAt20Services": baseline,
            "growthPercent": round(100 * (final - first) / first, 1),
            "passSeconds": {"median": round(statistics.median(seconds), 2), "max": round(max(seconds), 2)}}


def import_benchmark() -> dict[str, Any]:
    result = tools.checked(tools.run([sys.executable, str(tools.BENCH / "import_scale.py")], {}), "import_scale")
    return {"output": result.out.strip().splitlines()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="plan,rollout,load,watch,import")
    parser.add_argument("--watch-passes", type=int, default=None, help="default 200 (--quick: 30)")
    parser.add_argument("--rollout-configs", default="none,latency+throttling",
                        help="the sandbox configurations the rollout benchmark runs in (it takes ~8 minutes each)")
    parser.add_argument("--configs", default=None, help="comma-separated: none, latency, latency+throttling")
    parser.add_argument("--out", default=None, help="default bench/results.json (--quick: bench/results-quick.json)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else DEFAULT_OUT.with_name("results-quick.json") if args.quick else DEFAULT_OUT
    only = set(args.only.split(","))
    sizes = [100, 300] if args.quick else [100, 300, 1000]
    configs = args.configs.split(",") if args.configs else (["none"] if args.quick else list(CONFIGS))
    passes = args.watch_passes or (30 if args.quick else 200)
    results: dict[str, Any] = {"machine": tools.machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "quick": args.quick, "plan": {}, "rollout": {}}
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        work = Path(tmp)
        if "load" in only:
            print("load and validate 1,000 manifests", flush=True)
            results["load"] = load_benchmark(work)
        if "import" in only:
            print("import", flush=True)
            results["import"] = import_benchmark()
        for name in configs:
            if not only & {"plan", "rollout", "watch"}:
                break
            print(f"sandbox: {name}", flush=True)
            with tools.sandbox(*CONFIGS[name]) as sb:
                setup_account(sb, work)
                if "plan" in only:
                    results["plan"][name] = plan_benchmark(sb, work, sizes, "--aws-throttling" in CONFIGS[name])
                if "rollout" in only and name in args.rollout_configs.split(","):
                    results["rollout"][name] = rollout_benchmark(sb, work)
                if "watch" in only and name == "none":
                    results["watch"] = watch_memory(sb, work, passes)
    results["machine"]["loadAverageAtEnd"] = tools.machine()["loadAverage"]
    out.write_text(json.dumps(results, indent=2) + "\n")
    table = report.markdown(results)
    if out.resolve() == DEFAULT_OUT:
        report.splice(README, table)  # the table of bench/README.md, between its markers
    else:
        out.with_suffix(".md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
