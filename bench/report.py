"""The benchmarks' table (markdown), each target next to what was measured."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

CONFIG_NAMES = {"none": "no latency", "latency": "40 ms latency", "latency+throttling": "40 ms + throttling"}


def floor_calls(services: int, clusters: int = 10) -> int:
    """ceil(N/10) DescribeServices (per cluster: the services are spread evenly) + ceil(C/100) DescribeClusters."""
    per_cluster = [services // clusters + (1 if i < services % clusters else 0) for i in range(clusters)]
    return sum(math.ceil(n / 10) for n in per_cluster if n) + math.ceil(clusters / 100)


START, END = "<!-- results: written by bench/run.py -->", "<!-- /results -->"


def splice(readme: Path, table: str) -> None:
    """Put `table` between the markers of `readme` (the text around them is written by hand)."""
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table.rstrip()}\n{END}{tail}")


def _ok(condition: bool) -> str:
    return "met" if condition else "**not met**"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [f"Measured {results['started']} on {m['cpus']} CPUs ({m['cpu']}), {m['memoryMiB']} MiB, Python "
             f"{m['python']}; load average {', '.join(f'{x:.1f}' for x in m['loadAverage'])} at the start, "
             f"{', '.join(f'{x:.1f}' for x in m.get('loadAverageAtEnd', m['loadAverage']))} at the end"
             f"{' (quick run)' if results.get('quick') else ''}; "
             f"{', '.join(f'{k} {v}' for k, v in m.get('versions', {}).items())}.", ""]
    if results.get("plan"):
        lines += ["### 1. No-op plan (account of 1,000 services; the plan covers the first N)", "",
                  "| sandbox | N | cold: s | cold: calls | warm: s | warm: calls (floor + list pages) | "
                  "DescribeTaskDefinition warm | watch resync pass: s | pass calls |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for config, rows in results["plan"].items():
            for row in rows:
                warm, cold, watch = row["warm"], row["cold"], row["watchPass"]
                pages = warm["byOperation"].get("ecs.ListTaskDefinitions", 0)
                lines.append(
                    f"| {CONFIG_NAMES[config]} | {row['services']} | {cold['seconds']} | {cold.get('calls')} | "
                    f"{warm['seconds']} | {warm.get('calls')} ({floor_calls(row['services'])} + {pages}) | "
                    f"{warm['byOperation'].get('ecs.DescribeTaskDefinition', 0)} | {watch['seconds']} | "
                    f"{watch['calls']} |")
        lines.append("")
    if results.get("rollout"):
        lines += ["### 2. Image change on 20 services, until every rollout completed", "",
                  "| sandbox | reconciler: s | calls | ecs-deploy: s | calls | AWS CLI: s | calls | "
                  "faster than ecs-deploy | than the AWS CLI |", "|---|---|---|---|---|---|---|---|---|"]
        for config, r in results["rollout"].items():
            ours, deploy, cli = r["reconciler"], r["ecs-deploy"], r["aws-cli"]
            lines.append(f"| {CONFIG_NAMES[config]} | {ours['seconds']} | {ours['calls']} | {deploy['seconds']} | "
                         f"{deploy['calls']} | {cli['seconds']} | {cli['calls']} | "
                         f"{deploy['seconds'] / ours['seconds']:.1f}x | {cli['seconds'] / ours['seconds']:.1f}x |")
        lines.append("")
    if results.get("load"):
        load = results["load"]
        lines += ["### 3. Load and validate 1,000 manifests", "",
                  f"loader.load: {load['loadSeconds']} s; `reconciler validate` (a whole process): "
                  f"{load['validateCliSeconds']} s (medians of {load['runs']}).", ""]
    if results.get("watch"):
        w = results["watch"]
        lines += [f"### 4. watch over {w['services']} services, {w['passes']} resync passes", "",
                  "Resident memory: " + ", ".join(f"{v} MiB at pass {k.removeprefix('pass')}" for k, v in
                                                  w["rssMiB"].items()) +
                  f" (growth {w['growthPercent']}%); the same watch over 20 "
                  f"services: {w.get('rssMiBAt20Services')} MiB at pass 10; a pass: median "
                  f"{w['passSeconds']['median']} s, at most {w['passSeconds']['max']} s."
                  + (f" Measured {w['measured']}: {w['note']}." if w.get("note") else ""), ""]
    lines += ["### Targets", "", *targets(results), ""]
    return "\n".join(lines)


def _plan_row(results: dict[str, Any], config: str, n: int) -> dict[str, Any] | None:
    return next((r for r in results.get("plan", {}).get(config, []) if r["services"] == n), None)


def targets(results: dict[str, Any]) -> list[str]:
    out = ["| target | measured | |", "|---|---|---|"]
    for config in results.get("plan", {}):
        row = _plan_row(results, config, 1000)
        if row is None:
            continue
        warm = row["warm"]
        extra = {k: v for k, v in warm["byOperation"].items()
                 if k not in ("ecs.DescribeServices", "ecs.DescribeClusters", "ecs.ListTaskDefinitions")}
        at_floor = not extra and warm["byOperation"].get("ecs.DescribeServices", 0) + warm["byOperation"].get(
            "ecs.DescribeClusters", 0) <= floor_calls(1000)
        out.append(f"| warm no-op plan of 1,000 within the call floor ({CONFIG_NAMES[config]}) | {warm.get('calls')} "
                   f"calls{'; also ' + str(extra) if extra else ''} | {_ok(at_floor)} |")
    for config, limit in (("none", 3.0), ("latency", 5.0)):
        row = _plan_row(results, config, 1000)
        if row is not None:
            out.append(f"| warm no-op plan of 1,000 under {limit:g} s ({CONFIG_NAMES[config]}) | "
                       f"{row['warm']['seconds']} s | {_ok(row['warm']['seconds'] < limit)} |")
    for config in ("latency", "latency+throttling"):
        row = _plan_row(results, config, 1000)
        if row is not None:
            free = row.get("coldUnlimited")
            unlimited = f"; {free['seconds']} s without the client-side limit" if free else ""
            out.append(f"| cold no-op plan of 1,000 under 20 s ({CONFIG_NAMES[config]}) | {row['cold']['seconds']} s"
                       f"{unlimited} | {_ok(row['cold']['seconds'] < 20)} |")
    for config in results.get("plan", {}):
        small, large = _plan_row(results, config, 100), _plan_row(results, config, 1000)
        if small and large:
            ratio = large["warm"]["seconds"] / small["warm"]["seconds"]
            out.append(f"| 100 -> 1,000 services, warm plan time ratio <= 11 ({CONFIG_NAMES[config]}) | "
                       f"{ratio:.1f} | {_ok(ratio <= 11)} |")
    for config, r in results.get("rollout", {}).items():
        ours = r["reconciler"]
        for peer in ("ecs-deploy", "aws-cli"):
            speed = r[peer]["seconds"] / ours["seconds"]
            out.append(f"| 20-service rollout >= 8x faster than {peer}, fewer calls ({CONFIG_NAMES[config]}) | "
                       f"{speed:.1f}x, {ours['calls']} vs {r[peer]['calls']} calls | "
                       f"{_ok(speed >= 8 and ours['calls'] < r[peer]['calls'])} |")
    if results.get("load"):
        seconds = results["load"]["loadSeconds"]
        out.append(f"| load and validate 1,000 manifests under 2 s | {seconds} s (CLI "
                   f"{results['load']['validateCliSeconds']} s) | {_ok(seconds < 2)} |")
    if results.get("watch"):
        w = results["watch"]
        peak = max(w["rssMiB"].values())
        out.append(f"| watch memory under 150 MB at 1,000 services | {peak} MiB | {_ok(peak * 1.048576 < 150)} |")
        out.append(f"| watch memory flat (+-10%) from pass 10 to {w['passes']} | {w['growthPercent']}% | "
                   f"{_ok(abs(w['growthPercent']) <= 10)} |")
    return out


if __name__ == "__main__":  # the table of bench/README.md again, from bench/results.json
    import json
    import sys

    here = Path(__file__).resolve().parent
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "results.json"
    splice(here / "README.md", markdown(json.loads(source.read_text())))
