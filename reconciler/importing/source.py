"""Reading a user's input file (compose, ecs-params, JSON) with positions, so warnings can say file:line:col."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import ManifestError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024


def read(path: Path) -> Any:
    """The one document in a YAML or JSON file (JSON is read as YAML 1.2, which it is, keeping positions)."""
    name = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ManifestError([Problem(f"file is larger than {MAX_FILE_BYTES} bytes", file=name)])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([Problem(f"cannot read file: {exc}", file=name)]) from exc
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        documents = [d for d in yaml.load_all(text) if d is not None]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise ManifestError([Problem(f"cannot parse: {message}", file=name, line=mark.line + 1 if mark else None,
                                     column=mark.column + 1 if mark else None)]) from exc
    except YAMLError as exc:
        raise ManifestError([Problem(f"cannot parse: {exc}", file=name)]) from exc
    if len(documents) != 1:
        raise ManifestError([Problem(f"expected one document, found {len(documents)}", file=name)])
    return documents[0]


def position(node: Any, key: str | int | None = None) -> tuple[int | None, int | None]:
    """1-based line and column of `node[key]`'s key (or of `node` itself), where the parser recorded it."""
    try:
        if key is not None and isinstance(node, CommentedMap) and key in node:
            line, col = node.lc.key(key)
            return line + 1, col + 1
        if key is not None and isinstance(node, CommentedSeq) and isinstance(key, int):
            line, col = node.lc.item(key)
            return line + 1, col + 1
        if hasattr(node, "lc") and node.lc.line is not None:
            return node.lc.line + 1, node.lc.col + 1
    except (KeyError, IndexError, TypeError):
        pass  # a key merged in from an anchor (<<: *x) has no position of its own
    if hasattr(node, "lc") and node.lc.line is not None:
        return node.lc.line + 1, node.lc.col + 1
    return None, None


def plain(node: Any) -> Any:
    """ruamel's nodes as plain dicts, lists and scalars (merge keys resolved)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if node is None or isinstance(node, bool | int | float | str):
        return node if not isinstance(node, str) else str(node)
    return str(node)
