"""Files on disk to a validated set of manifests, or a `ManifestError` listing every problem at once.

Steps: find `*.yaml`/`*.yml` files under the given paths; parse each (several documents per file,
duplicate keys rejected, YAML 1.2 so `NO` stays a string); substitute `${VAR}`; validate each document
against its kind's model (derived from the AWS API); check names, duplicates and references between
manifests. Every problem names `file:line:col`, the document and the field path.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler import variables
from reconciler.errors import ManifestError, Problem
from reconciler.model import specs
from reconciler.model.keys import Kind, ResourceKey, SourceRef
from reconciler.model.manifest import Manifest, annotation_problems, service_key
from reconciler.model.sensitive import in_user_named_entry

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # guards against alias ("billion laughs") expansion
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class ManifestSet:
    manifests: tuple[Manifest, ...]
    files: tuple[str, ...]

    def by_key(self) -> dict[ResourceKey, Manifest]:
        return {m.key: m for m in self.manifests}

    def of_kind(self, kind: Kind) -> list[Manifest]:
        return [m for m in self.manifests if m.kind is kind]


def find_files(paths: Iterable[str]) -> tuple[list[Path], list[Problem]]:
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                found.extend(Path(root) / n for n in sorted(names) if n.endswith((".yaml", ".yml")))
        else:
            problems.append(Problem("no such file or directory", file=raw))
    return found, problems


def load(paths: Iterable[str], variables_: Mapping[str, str] | None = None, allow_empty: bool = False) -> ManifestSet:
    """Load and validate every manifest under `paths`; raise ManifestError with all problems.
    An empty set is an error unless `allow_empty` (pruning an empty set deletes everything we own)."""
    paths = list(paths)
    env_vars = dict(os.environ)
    env_vars.update(variables_ or {})
    files, problems = find_files(paths)
    manifests: list[Manifest] = []
    for file in files:
        manifests.extend(_load_file(file, env_vars, problems))
    if allow_empty and not manifests and not problems:
        pass
    elif not files and not problems:
        problems.append(Problem("no manifests (*.yaml, *.yml) found", file=", ".join(paths) or "."))
    elif files and not manifests and not problems:
        problems.append(Problem("the files hold no manifest documents", file=", ".join(paths)))
    # References are checked only on a complete set: a document that failed to load is not "missing".
    problems.extend(_check_set(manifests, references=not problems))
    if problems:
        raise ManifestError(problems)
    return ManifestSet(tuple(manifests), tuple(str(f) for f in files))


def _load_file(file: Path, env_vars: Mapping[str, str], problems: list[Problem]) -> list[Manifest]:
    name = str(file)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(f"file is larger than {MAX_FILE_BYTES} bytes", file=name))
            return []
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f"cannot read file: {exc}", file=name))
        return []
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        documents = list(yaml.load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        problems.append(
            Problem(
                f"invalid YAML: {message}",
                file=name,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        )
        return []
    except YAMLError as exc:
        problems.append(Problem(f"invalid YAML: {exc}", file=name))
        return []
    out: list[Manifest] = []
    for index, document in enumerate(documents):
        if document is None:
            continue  # an empty document between `---` separators
        manifest = _load_document(name, index, document, env_vars, problems)
        if manifest is not None:
            out.append(manifest)
    return out


def _position(node: Any, loc: tuple[str | int, ...], key_position: bool = False) -> tuple[int, int] | None:
    """Line and column (1-based) of the deepest node on `loc` that exists in the YAML tree."""
    best: tuple[int, int] | None = None
    if hasattr(node, "lc"):
        best = (node.lc.line + 1, node.lc.col + 1)
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            line, col = node.lc.key(part) if (last and key_position) else node.lc.value(part)
            best = (line + 1, col + 1)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, col = node.lc.item(part)
            best = (line + 1, col + 1)
            node = node[part]
        else:
            break
    return best


def _path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _plain(node: Any, env_vars: Mapping[str, str], where: list[tuple[str | int, ...]],
           loc: tuple[str | int, ...], budget: list[int]) -> Any:
    """Convert ruamel nodes to plain Python, substituting variables in strings."""
    budget[0] -= 1
    if budget[0] < 0:
        raise OverflowError
    if isinstance(node, dict):
        return {str(k): _plain(v, env_vars, where, (*loc, str(k)), budget) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v, env_vars, where, (*loc, i), budget) for i, v in enumerate(node)]
    if isinstance(node, str):
        try:
            return variables.substitute(str(node), env_vars)
        except variables.UnsetVariableError as exc:
            where.append(loc)
            return str(exc)
    if node is None or isinstance(node, bool | int | float):
        return node
    return str(node)  # timestamps, tagged scalars: keep the text, let validation judge it


def _load_document(file: str, index: int, document: Any, env_vars: Mapping[str, str],
                   problems: list[Problem]) -> Manifest | None:
    def problem(message: str, loc: tuple[str | int, ...] = (), doc: str | None = None,
                key_position: bool = False) -> None:
        pos = _position(document, loc, key_position)
        problems.append(Problem(message, file=file, line=pos[0] if pos else None,
                                column=pos[1] if pos else None, document=doc,
                                path=_path(loc) or None))

    if not isinstance(document, CommentedMap):
        problem(f"document {index + 1} is not a mapping (expected apiVersion, kind, metadata, spec)")
        return None
    unset: list[tuple[str | int, ...]] = []
    try:
        data = _plain(document, env_vars, unset, (), [MAX_NODES])
    except OverflowError:
        problem(f"document {index + 1} expands to more than {MAX_NODES} nodes (YAML aliases?)")
        return None
    raw_kind = data.get("kind")
    raw_name = data.get("metadata", {}).get("name") if isinstance(data.get("metadata"), dict) else None
    label = f"{raw_kind or '?'}/{raw_name or '?'}"
    if unset:
        for loc in unset:
            value: Any = data
            for part in loc:
                value = value[part]
            problem(str(value), loc, label)
        return None
    kinds = {k.value: k for k in Kind}
    if raw_kind not in kinds:
        hint = difflib.get_close_matches(str(raw_kind), list(kinds), n=1)
        expected = ", ".join(kinds)
        message = (f"unknown kind {raw_kind!r}; expected one of {expected}" if raw_kind is not None
                   else f"missing field 'kind'; expected one of {expected}")
        if hint:
            message += f" (did you mean {hint[0]!r}?)"
        problem(message, ("kind",) if raw_kind is not None else (), label)
        return None
    kind = kinds[raw_kind]
    try:
        model = specs.document_model(kind).model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problem(_message(kind, error), loc, label, key_position=error["type"] == "extra_forbidden")
        return None
    name: str = model.metadata.name  # type: ignore[attr-defined]
    ks = specs.KIND_SPECS[kind]


    if not re.fullmatch(ks.name_pattern, name):
        problem(f"invalid {kind.value} name {name!r}: {ks.name_rule}", ("metadata", "name"), label)
        return None
    annotations = dict(model.metadata.annotations)  # type: ignore[attr-defined]
    bad = annotation_problems(annotations)
    for annotation, message in bad:
        problem(message, ("metadata", "annotations", annotation), label)
    if bad:
        return None
    spec = model.spec.model_dump(mode="json", exclude_none=True, exclude_unset=True, by_alias=True)  # type: ignore[attr-defined]
    pos = _position(document, ())
    return Manifest(
        kind=kind,
        name=name,
        spec=spec,
        source=SourceRef(file, pos[0] if pos else 1, pos[1] if pos else 1),
        labels=dict(model.metadata.labels),  # type: ignore[attr-defined]
        annotations=annotations,
    )


def _message(kind: Kind, error: Any) -> str:
    loc = tuple(error["loc"])
    kind_ = error["type"]
    got = "(sensitive)" if in_user_named_entry(loc) else repr(error.get("input"))  # never echo such a value
    if kind_ == "extra_forbidden":
        field = str(loc[-1])
        if loc[0] == "spec":
            allowed = specs.allowed_members(kind, tuple(loc[1:-1]))
        elif loc[0] == "metadata":
            allowed = ["name", "labels", "annotations"]
        else:
            allowed = ["apiVersion", "kind", "metadata", "spec"]
        message = f"unknown field {field!r}"
        hint = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
        if not hint:
            hint = [a for a in allowed if a.lower() == field.lower()]
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        elif allowed and len(allowed) <= 12:
            message += f"; expected one of: {', '.join(allowed)}"
        return message
    if kind_ == "missing":
        return f"missing required field {str(loc[-1])!r}"
    if kind_ == "literal_error":
        return f"{error['msg']}, got {got}"
    return f"{error['msg']} (got {got})"


def _check_set(manifests: list[Manifest], references: bool = True) -> list[Problem]:
    """Problems that involve more than one manifest: duplicates and references."""
    problems: list[Problem] = []
    seen: dict[ResourceKey, Manifest] = {}
    for m in manifests:
        if m.key in seen:
            first = seen[m.key]
            problems.append(Problem(f"duplicate {m.kind.value} {m.name!r}; first defined at {first.source}",
                                    file=m.source.file, line=m.source.line, column=m.source.column,
                                    document=str(m.key)))
        else:
            seen[m.key] = m
    for m in manifests if references else []:
        for hook in ("runBefore", "runAfter"):
            for ref in m.spec.get(hook) or []:
                if service_key(ref, manifests) is None:
                    problems.append(Problem(f"{hook} names {ref!r}, which is not one Service manifest (use "
                                            "the service's name, or cluster/name when several clusters have it)",
                                            file=m.source.file, line=m.source.line, column=m.source.column,
                                            document=str(m.key), path=f"spec.{hook}"))
    return problems
