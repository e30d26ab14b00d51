"""Where imported manifests go, and how they are written.

Layout (relative to the output directory):

    clusters/<cluster>/cluster.yaml               the Cluster
    clusters/<cluster>/<service>/service.yaml     a Service
    clusters/<cluster>/<service>/taskdef.yaml     the TaskDefinition that only this service runs
    task-definitions/<family>.yaml                a TaskDefinition that several services run (or raw JSON)
    repositories/<name>.yaml                      a Repository ("team/web" -> repositories/team/web.yaml)

Service names cannot contain a dot, so `cluster.yaml` never meets a service directory. Names are made safe
for any filesystem (only letters, digits, `.`, `_`, `-`), and paths that would differ only by case are
told apart, so the layout is the same on macOS and Windows. Existing files are never overwritten unless
`force`; nothing is written when one would be.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from reconciler.errors import ReconcilerError
from reconciler.importing.document import ImportedDocument
from reconciler.importing.secrets import note_lines

FORMATS = ("yaml", "json")
SCHEMA_FILE = "reconciler.schema.json"
FLOW_WIDTH = 72  # lists of scalars that fit are written on one line


def safe(name: str) -> str:
    """One path component for `name`: letters, digits, `.`, `_`, `-`; never empty, `.` or `..`."""
    text = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    if not text.strip("."):
        text = "_" + text
    return "_" + text if text.startswith(".") else text


def cluster_file(cluster: str) -> str:
    return f"clusters/{safe(cluster)}/cluster"


def service_dir(cluster: str, service: str) -> str:
    return f"clusters/{safe(cluster)}/{safe(service)}"


def shared_task_definition(family: str) -> str:
    return f"task-definitions/{safe(family)}"


def repository_file(name: str) -> str:
    return "repositories/" + "/".join(safe(part) for part in name.split("/"))


@dataclass(frozen=True)
class Written:
    path: Path
    document: ImportedDocument


def plan_paths(documents: list[ImportedDocument], out_dir: Path, fmt: str) -> list[Written]:
    """The file of each document; paths equal but for case are told apart (`web` and `Web` -> `Web-2`)."""
    extension = ".json" if fmt == "json" else ".yaml"
    seen: dict[str, int] = {}
    out = []
    for doc in documents:
        relative = doc.path
        key = relative.lower()
        if key in seen:
            seen[key] += 1
            relative = f"{relative}-{seen[key]}"
        else:
            seen[key] = 1
        out.append(Written(out_dir / (relative + extension), doc))
    return out


def write(documents: list[ImportedDocument], out_dir: Path, fmt: str = "yaml", force: bool = False) -> list[Written]:
    """Write every document; refuse (writing nothing) when a file exists and not `force`."""
    if fmt not in FORMATS:
        raise ReconcilerError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ReconcilerError(f"{out_dir} exists and is not a directory")
    planned = plan_paths(documents, out_dir, fmt)
    existing = [str(w.path) for w in planned if w.path.exists()]
    if existing and not force:
        listed = "\n".join(f"  {p}" for p in existing)
        raise ReconcilerError(f"{len(existing)} file(s) exist and would be overwritten (pass --force to "
                              f"overwrite them):\n{listed}")
    for item in planned:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        text = render_json(item.document) if fmt == "json" else render_yaml(item.document, item.path, out_dir)
        tmp = item.path.with_name(item.path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, item.path)
    return planned


# --- rendering --------------------------------------------------------------------------------------------

def render_json(doc: ImportedDocument) -> str:
    return json.dumps(doc.document(), indent=2, ensure_ascii=False) + "\n"


def render_yaml(doc: ImportedDocument, path: Path, out_dir: Path) -> str:
    relative = posixpath.relpath(SCHEMA_FILE, posixpath.dirname(path.relative_to(out_dir).as_posix()) or ".")
    header = [f"yaml-language-server: $schema={relative}", f"Imported by `reconciler import` from {doc.source}"]
    header += doc.comments + note_lines(doc)
    yaml = YAML(typ="rt")
    yaml.representer.add_representer(str, _represent_str)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long value (an ARN, a command) onto several lines
    stream = io.StringIO()
    yaml.dump(_literals(doc.document()), stream)
    return "".join(f"# {line}".rstrip() + "\n" for line in header) + stream.getvalue()


# Plain scalars that YAML 1.1 tools (PyYAML, yamllint) read as booleans or null, though YAML 1.2 (the loader)
# reads them as strings: quoted, so that every tool reads the same text.
_YAML11_SPECIAL = re.compile(r"^(?:y|n|yes|no|on|off|true|false|null|~)$", re.IGNORECASE)


def _represent_str(representer: Any, data: str) -> Any:
    if _YAML11_SPECIAL.match(data):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return representer.represent_str(data)


def _literals(value: Any) -> Any:
    """Multi-line strings as `|` blocks, short lists of scalars on one line (`[FARGATE]`)."""
    if isinstance(value, dict):
        return {k: _literals(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_literals(v) for v in value]
        if items and all(_short_scalar(v) for v in items) and sum(len(str(v)) + 2 for v in items) <= FLOW_WIDTH:
            flow = CommentedSeq(items)
            flow.fa.set_flow_style()
            return flow
        return items
    if isinstance(value, str) and "\n" in value and _block_safe(value):
        return LiteralScalarString(value)
    return value


def _short_scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float) or (isinstance(value, str) and "\n" not in value)


def _block_safe(text: str) -> bool:
    """A literal block keeps `text` exactly unless it has trailing spaces, tabs or other control characters."""
    lines = text.split("\n")
    return all(line == line.rstrip(" ") for line in lines) and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text) \
        and not text.startswith((" ", "\n")) and not text.endswith("\n\n")
