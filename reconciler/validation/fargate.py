"""Task size: how ECS reads task-level `cpu` and `memory`, and the CPU/memory combinations Fargate runs.

Source: RegisterTaskDefinition `cpu` and `memory`
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html) and
"Troubleshoot Amazon ECS task definition invalid CPU or memory errors"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html):
cpu is CPU units (`1024`) or vCPUs (`1 vCPU`, `1 vcpu`); memory is MiB (`1024`) or GB (`1GB`, `1 GB`).
On Fargate only the table below is valid (Windows: 1, 2 and 4 vCPU only; 8 and 16 vCPU: Linux only).
On EC2, task cpu must be between 128 units (0.125 vCPU) and 196608 units (192 vCPU).
"""

from __future__ import annotations

import re

_CPU = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*", re.IGNORECASE)
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(gb)?\s*", re.IGNORECASE)

EC2_CPU_RANGE = (128, 196608)


def _steps(low_gb: int, high_gb: int, step_gb: int) -> frozenset[int]:
    return frozenset(gb * 1024 for gb in range(low_gb, high_gb + 1, step_gb))


# task cpu units -> the memory values (MiB) Fargate accepts with it
FARGATE_SIZES: dict[int, frozenset[int]] = {
    256: frozenset({512, 1024, 2048}),
    512: _steps(1, 4, 1),
    1024: _steps(2, 8, 1),
    2048: _steps(4, 16, 1),
    4096: _steps(8, 30, 1),
    8192: _steps(16, 60, 4),  # Linux platform 1.4.0 or later
    16384: _steps(32, 120, 8),  # Linux platform 1.4.0 or later
}
FARGATE_WINDOWS_CPU = frozenset({1024, 2048, 4096})


def cpu_units(text: str) -> int | None:
    """CPU units from "256" or "0.25 vCPU"; None when it is neither."""
    match = _CPU.fullmatch(text)
    if not match:
        return None
    number = float(match.group(1))
    units = number * 1024 if match.group(2) else number
    return int(units) if units == int(units) else None


def memory_mib(text: str) -> int | None:
    """MiB from "512" or "1 GB"; None when it is neither."""
    match = _MEMORY.fullmatch(text)
    if not match:
        return None
    number = float(match.group(1))
    mib = number * 1024 if match.group(2) else number
    return int(mib) if mib == int(mib) else None


def _gb(mib: int) -> str:
    return f"{mib // 1024} GB" if mib % 1024 == 0 else f"{mib} MiB"


def fargate_size_problem(cpu: int, memory: int, windows: bool) -> str | None:
    """Why Fargate refuses this task size ("Invalid 'cpu' setting for task"), or None."""
    if cpu not in FARGATE_SIZES:
        return f"Fargate has no task size with cpu {cpu}; valid: {', '.join(map(str, FARGATE_SIZES))}"
    if windows and cpu not in FARGATE_WINDOWS_CPU:
        return f"Windows tasks on Fargate need cpu 1024, 2048 or 4096 (got {cpu})"
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        ordered = sorted(allowed)
        shown = ", ".join(_gb(m) for m in ordered) if len(ordered) <= 7 else \
            f"{_gb(ordered[0])} to {_gb(ordered[-1])} in steps of {_gb(ordered[1] - ordered[0])}"
        return f"Fargate does not run cpu {cpu} with memory {memory} MiB; with cpu {cpu} memory must be {shown}"
    return None
