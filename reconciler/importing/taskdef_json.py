"""Import task definition JSON: what `aws ecs describe-task-definition` prints (`{"taskDefinition": {...},
"tags": [...]}`) or a RegisterTaskDefinition document (the AWS samples, the console's JSON tab).

The document is projected onto the RegisterTaskDefinition input: what AWS owns (the ARN, revision, status,
registeredAt, requiresAttributes, compatibilities...) drops out; any other field RegisterTaskDefinition does
not know is dropped with a warning at its line. Then it is shortened as plan compares (`roundtrip`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from reconciler.errors import ManifestError, Problem
from reconciler.importing import roundtrip, source, writer
from reconciler.importing.document import ImportedDocument, ImportResult, validate
from reconciler.model import shapes
from reconciler.model.keys import Kind
from reconciler.model.specs import KIND_SPECS
from reconciler.variables import REFERENCE as VARIABLE

INPUT = shapes.input_shape("ecs", "RegisterTaskDefinition")
OUTPUT = shapes.service_model("ecs").shape_for("TaskDefinition")


def import_files(paths: list[str], adopt: bool = False) -> ImportResult:
    result = ImportResult()
    families: dict[str, str] = {}
    for raw in paths:
        doc = import_file(Path(raw), result)
        if doc.name in families:
            raise ManifestError([Problem(f"family {doc.name!r} is also in {families[doc.name]}", file=raw)])
        families[doc.name] = raw
        if adopt:
            doc.adopt()
        result.documents.append(doc)
    validate(result.documents)
    return result


def import_file(path: Path, result: ImportResult) -> ImportedDocument:
    name = str(path)
    data = source.read(path)
    if not isinstance(data, Mapping):
        raise ManifestError([Problem("expected a JSON object (describe-task-definition output or a "
                                     "RegisterTaskDefinition document)", file=name)])
    node: Any = data
    tags: Any = None
    if isinstance(data.get("taskDefinition"), Mapping):  # describe-task-definition output
        node, tags = data["taskDefinition"], data.get("tags")
        for key in data:
            if key not in ("taskDefinition", "tags", "ResponseMetadata"):
                _unknown(result, name, data, key, "describe-task-definition output")
    family = node.get("family")
    if not isinstance(family, str) or not family:
        line, column = source.position(node)
        raise ManifestError([Problem("no \"family\": a task definition needs one (it becomes metadata.name)",
                                     file=name, line=line, column=column)])
    _check_fields(result, name, node, INPUT, OUTPUT)
    live = source.plain(node)
    if tags is not None:
        live["tags"] = source.plain(tags)
    spec = roundtrip.minimal(Kind.TASK_DEFINITION, roundtrip.input_form(Kind.TASK_DEFINITION, live))
    for text in sorted(_variables(spec)):
        result.warn(f"{text} is kept as literal text ($" + text + "): if it is meant as a variable, write it "
                    f"as {text} in the manifest", file=name, document=f"TaskDefinition/{family}")
    if "tags" not in live and "taskDefinitionArn" in live:
        result.warn("no tags in the file (describe-task-definition without --include TAGS?): plan will remove "
                    "the revision's tags, if it has any", file=name, document=f"TaskDefinition/{family}")
    return ImportedDocument(Kind.TASK_DEFINITION, family, spec, writer.shared_task_definition(family), name)


def _unknown(result: ImportResult, file: str, node: Any, key: str | int, where: str) -> None:
    line, column = source.position(node, key)
    result.warn(f"{key!r} is not a field of {where}: dropped", file=file, line=line, column=column)


def _check_fields(result: ImportResult, file: str, node: Any, shape: Shape, output: Shape | None) -> None:
    """Warn about fields RegisterTaskDefinition does not take, except those AWS adds to its output."""
    if isinstance(shape, StructureShape) and isinstance(node, Mapping):
        owned = set(output.members) if isinstance(output, StructureShape) else set()
        excluded = KIND_SPECS[Kind.TASK_DEFINITION].excluded if shape is INPUT else frozenset()
        for key, value in node.items():
            if key in shape.members and key not in excluded:
                member_out = output.members.get(key) if isinstance(output, StructureShape) else None
                _check_fields(result, file, value, shape.members[key], member_out)
            elif key not in owned and key not in excluded and key != "tags":
                _unknown(result, file, node, key, shape.name)
    elif isinstance(shape, ListShape) and isinstance(node, list):
        member_out = output.member if isinstance(output, ListShape) else None
        for item in node:
            _check_fields(result, file, item, shape.member, member_out)
    elif isinstance(shape, MapShape) and isinstance(node, Mapping):
        for value in node.values():
            _check_fields(result, file, value, shape.value, output.value if isinstance(output, MapShape) else None)


def _variables(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_variables(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_variables(v) for v in value)) if value else set()
    if isinstance(value, str):
        return {m.group(0) for m in VARIABLE.finditer(value) if not m.group(1)}
    return set()
