"""Rollout progress on the terminal: one live line per service (and per Auto Scaling group whose instances are
replaced) on a TTY, plain lines (and structured log events) otherwise. Each service event is shown once."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from reconciler import log
from reconciler.apply.instance_roll import RollStatus
from reconciler.rollouts.observe import Phase, RolloutStatus
from reconciler.rollouts.wait import RolloutTarget

COLOURS = {Phase.PROGRESSING: "cyan", Phase.COMPLETED: "green", Phase.FAILED: "red",
           Phase.ROLLING_BACK: "yellow", Phase.ROLLED_BACK: "yellow"}


class RolloutProgress:
    """A `rollouts.wait.Reporter` for people (context manager: starts and stops the live display)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: dict[str, RolloutStatus] = {}
        self.groups: dict[str, RollStatus] = {}
        self.last: dict[str, tuple[Any, ...]] = {}
        self.live: Live | None = None
        self.started_for_groups = False  # the live display was started by an instance roll (and stops with it)

    def __enter__(self) -> RolloutProgress:
        if self.console.is_terminal:
            self.live = Live(self._table(), console=self.console, refresh_per_second=4, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.live is not None:
            self.live.__exit__(kind, exc, tb)

    def _table(self) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False)
        for name, status in self.rows.items():
            colour = COLOURS[status.phase]
            bar = _bar(status.running, status.desired)
            table.add_row(escape(name), status.revision, escape(f"{bar} {status.running}/{status.desired}"),
                          f"[{colour}]{status.phase.value}[/{colour}]", escape(status.reason[:80]))
        for name, roll in self.groups.items():
            colour = {"done": "green", "failed": "red"}.get(roll.phase, "cyan")
            table.add_row(escape(f"AutoScalingGroup/{name}"), "instances",
                          escape(f"{_bar(roll.new, roll.new + roll.old)} {roll.old} old, {roll.new} new "
                                 f"({roll.ready} registered)"),
                          f"[{colour}]{roll.phase}[/{colour}]",
                          escape(f"{roll.draining} draining, {roll.tasks_to_move} task(s) to move"))
        return table

    def instances(self, status: RollStatus) -> None:
        """An Auto Scaling group's instance roll (reconciler.apply.instance_roll.RollReporter)."""
        name = f"AutoScalingGroup/{status.group}"
        self.groups[status.group] = status
        if self.live is None and self.console.is_terminal and status.phase not in ("done", "failed"):
            self.__enter__()
            self.started_for_groups = True
        state = (status.old, status.new, status.ready, status.draining, status.tasks_to_move, status.phase)
        if self.live is not None:
            self.live.update(self._table())
        elif self.last.get(name) != state:
            self.console.print(f"  {escape(name)}: {escape(status.describe())}", highlight=False)
        if self.last.get(name) != state:
            log.get().info("Instance roll progress", resource=name, old=status.old, new=status.new,
                           registered=status.ready, draining=status.draining, tasks_to_move=status.tasks_to_move,
                           phase=status.phase)
        self.last[name] = state
        if status.phase in ("done", "failed") and self.started_for_groups:
            self.__exit__(None, None, None)
            self.live, self.started_for_groups = None, False

    def progress(self, target: RolloutTarget, status: RolloutStatus) -> None:
        name = str(target.key)
        self.rows[name] = status
        state = (status.phase, status.running, status.pending, status.desired, status.task_definition)
        if self.live is not None:
            self.live.update(self._table())
        elif self.last.get(name) != state:
            self.console.print(f"  {escape(name)}: {status.revision} {status.running}/{status.desired} running, "
                               f"{status.pending} pending ({status.phase.value})", highlight=False)
        if self.last.get(name) != state:
            log.get().info("Rollout progress", resource=name, revision=status.revision, running=status.running,
                           desired=status.desired, pending=status.pending, phase=status.phase.value)
        self.last[name] = state

    def event(self, target: RolloutTarget, message: str) -> None:
        self.console.print(f"  [dim]{escape(str(target.key))}:[/dim] {escape(message)}", highlight=False)
        log.get().info("Service event", resource=str(target.key), message=message)


def _bar(running: int, desired: int, width: int = 10) -> str:
    if desired <= 0:
        return "[" + "-" * width + "]"
    filled = min(width, round(width * running / desired))
    return "[" + "#" * filled + "-" * (width - filled) + "]"
