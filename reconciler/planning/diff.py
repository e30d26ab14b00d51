"""Field-level differences between two canonical specs, via deepdiff, as readable paths
(`containerDefinitions[web].image`, `tags[team]`) with before/after values."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.model.plan import FieldChange
from reconciler.planning.normalize import KEYED_LISTS, KEYED_MAPS

MISSING = None  # a field absent on one side is shown as null


def render_path(parts: list[Any]) -> str:
    out = ""
    keyed_parent = False
    for part in parts:
        if isinstance(part, int) or keyed_parent:
            out += f"[{part}]"
            keyed_parent = False
        else:
            out += f".{part}" if out else str(part)
            keyed_parent = part in KEYED_LISTS or part in KEYED_MAPS
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """What changes when `before` (live) becomes `after` (desired)."""
    if before == after:
        return ()
    # threshold_to_diff_deeper=0: always name the fields, even when most keys of a map changed.
    result = DeepDiff(before, after, verbose_level=2, view="tree", threshold_to_diff_deeper=0)
    changes: dict[str, FieldChange] = {}
    for report_type, items in result.items():
        for item in items:
            parts = item.path(output_format="list")
            # A whole item added to or removed from a list is shown at the list's path.
            if report_type.startswith("iterable_item") and parts and isinstance(parts[-1], int):
                parts = parts[:-1]
                node_before = _get(before, parts)
                node_after = _get(after, parts)
            else:
                node_before = MISSING if report_type.endswith("_added") else item.t1
                node_after = MISSING if report_type.endswith("_removed") else item.t2
            path = render_path(parts)
            changes[path] = FieldChange(path, _plain(node_before), _plain(node_after))
    return tuple(changes[p] for p in sorted(changes))


def _get(value: Any, parts: list[Any]) -> Any:
    for part in parts:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return value


def _plain(value: Any) -> Any:
    from deepdiff.helper import NotPresent

    return None if isinstance(value, NotPresent) else value
