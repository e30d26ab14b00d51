"""Plans and apply results as text for people, JSON for machines, markdown for pull requests."""

from __future__ import annotations

import json
from typing import Any

from reconciler.model.plan import Action, ApplyResult, FieldChange, Plan, ResourceChange
from reconciler.planning.diff import render_path

GLYPH = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-", Action.NOOP: "="}
STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red",
         Action.NOOP: "dim"}
MAX_VALUE = 120


def _value(value: Any, limit: int = MAX_VALUE) -> str:
    if value is None:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    if not plan.has_changes:
        return f"No changes. {counts['noop']} resources in sync."
    return (f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['replace']} to "
            f"replace, {counts['delete']} to delete, {counts['noop']} unchanged.")


def _field_lines(change: ResourceChange) -> list[tuple[str, str]]:
    """(glyph, text) per field: the before/after of updates, the top-level values of creates."""
    lines: list[tuple[str, str]] = []
    if change.action is Action.CREATE and change.desired:
        for path, value in _leaves(change.desired):
            lines.append(("+", f"{path}: {_value(value)}"))
        return lines
    for f in change.fields:
        lines.append(_field_line(f))
    return lines


def _leaves(value: Any, parts: tuple[Any, ...] = ()) -> list[tuple[str, Any]]:
    """Flatten maps into (path, value) pairs, paths written as the diff writes them."""
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out.extend(_leaves(item, (*parts, key)))
        return out
    return [(render_path(list(parts)), value)]


def _field_line(f: FieldChange) -> tuple[str, str]:
    if f.before is None:
        return "+", f"{f.path}: {_value(f.after)}"
    if f.after is None:
        return "-", f"{f.path}: {_value(f.before)}"
    return "~", f"{f.path}: {_value(f.before)} → {_value(f.after)}"


def to_text(plan: Plan, show_noop: bool = False) -> str:
    """Rich console markup (colours are dropped by the console when not on a terminal)."""
    from rich.markup import escape

    out: list[str] = []
    for change in plan.changes:
        if change.action is Action.NOOP and not show_noop:
            continue
        style = STYLE[change.action]
        head = f"[{style}]{GLYPH[change.action]:>3} {escape(str(change.key))}[/{style}]  {change.action.value}"
        if change.reason:
            head += f" [dim]({escape(change.reason)})[/dim]"
        if change.blocked:
            head += f"  [bold red]BLOCKED: {escape(change.blocked)}[/bold red]"
        if change.held:
            head += f"  [bold yellow]HELD: {escape(change.held)}[/bold yellow]"
        out.append(head)
        for glyph, text in _field_lines(change):
            colour = {"+": "green", "-": "red", "~": "yellow"}[glyph]
            out.append(f"      [{colour}]{glyph}[/{colour}] {escape(text)}")
    if plan.warnings:
        out.append("")
        out.extend(f"[yellow]note:[/yellow] {escape(w)}" for w in plan.warnings)
    if plan.errors:
        out.append("")
        out.extend(f"[bold red]error:[/bold red] {escape(e)}" for e in plan.errors)
    out.append("")
    out.append(f"[bold]{escape(summary_line(plan))}[/bold]")
    return "\n".join(out)


def to_json(plan: Plan) -> str:
    changes = []
    for c in plan.changes:
        item: dict[str, Any] = {
            "kind": c.key.kind.value,
            "name": c.key.name,
            "action": c.action.value,
            "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in c.fields],
        }
        if c.action is Action.CREATE:
            item["after"] = c.desired
        if c.reason:
            item["reason"] = c.reason
        if c.arn:
            item["arn"] = c.arn
        if c.source:
            item["source"] = str(c.source)
        if c.depends_on:
            item["dependsOn"] = [str(d) for d in c.depends_on]
        if c.blocked:
            item["blocked"] = c.blocked
        if c.held:
            item["held"] = c.held
        changes.append(item)
    doc = {"changes": changes, "summary": plan.summary(), "hasChanges": plan.has_changes,
           "errors": list(plan.errors), "warnings": list(plan.warnings)}
    return json.dumps(doc, indent=2, default=str, ensure_ascii=False)


def to_markdown(plan: Plan) -> str:
    counts = plan.summary()
    lines = ["### reconciler plan", ""]
    lines.append(f"**{summary_line(plan)}**")
    lines.append("")
    lines.append("| create | update | replace | delete | unchanged |")
    lines.append("|---:|---:|---:|---:|---:|")
    lines.append(f"| {counts['create']} | {counts['update']} | {counts['replace']} | {counts['delete']} | "
                 f"{counts['noop']} |")
    if plan.errors:
        lines += ["", "#### Errors", ""]
        lines += [f"- :x: `{e}`" for e in plan.errors]
    if plan.warnings:
        lines += ["", "#### Warnings", ""]
        lines += [f"- :warning: `{w}`" for w in plan.warnings]
    changed = [c for c in plan.changes if c.is_change]
    if changed:
        lines += ["", "| | resource | action | detail |", "|---|---|---|---|"]
        for c in changed:
            detail = c.reason or ", ".join(f"`{f.path}`" for f in c.fields[:5])
            if c.blocked:
                detail += f" **blocked: {c.blocked}**"
            if c.held:
                detail += f" **held: {c.held}**"
            lines.append(f"| `{GLYPH[c.action]}` | `{c.key}` | {c.action.value} | {detail} |")
        lines += ["", "<details><summary>Field changes</summary>", "", "```diff"]
        for c in changed:
            lines.append(f"{GLYPH[c.action]} {c.key}")
            for glyph, text in _field_lines(c):
                lines.append(f"{'+' if glyph == '+' else '-' if glyph == '-' else '!'}     {text}")
        lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"


def result_text(result: ApplyResult) -> str:
    applied = sum(1 for o in result.outcomes if o.status == "applied")
    failed = sum(1 for o in result.outcomes if o.status == "failed")
    skipped = sum(1 for o in result.outcomes if o.status in ("skipped", "held"))
    unchanged = sum(1 for o in result.outcomes if o.status == "unchanged")
    return f"Apply: {applied} applied, {failed} failed, {skipped} not attempted, {unchanged} unchanged."
