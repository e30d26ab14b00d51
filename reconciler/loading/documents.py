"""One YAML document to one validated Manifest, or problems located at `file:line:col`.

Order: kind, then the document against its kind's model (types, enums, required fields, unknown fields
with a "did you mean"), then what YAML's typing could have changed behind the user's back (a number
where AWS wants text must read back as written: `value: 1.10` would become "1.1"), then every rule AWS
enforces that the model does not carry (reconciler.validation), then names and annotations.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from pydantic import ValidationError

from reconciler import validation
from reconciler.errors import Problem
from reconciler.loading.yamldoc import Document, Loc
from reconciler.model import specs
from reconciler.model.keys import Kind, SourceRef
from reconciler.model.manifest import Manifest, annotation_problems, annotation_warnings
from reconciler.model.sensitive import in_user_named_entry


class _Report:
    def __init__(self, file: str, doc: Document, problems: list[Problem], warnings: list[Problem]) -> None:
        self.file, self.doc, self.problems, self.warnings = file, doc, problems, warnings
        self.label: str | None = None

    def problem(self, message: str, loc: Loc = (), key: bool = False, warning: bool = False) -> None:
        line, column = self.doc.locate(loc, key)
        path = field_path(loc) or None
        (self.warnings if warning else self.problems).append(
            Problem(message, file=self.file, line=line, column=column, document=self.label, path=path))


def field_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def to_manifest(file: str, doc: Document, problems: list[Problem], warnings: list[Problem]) -> Manifest | None:
    report = _Report(file, doc, problems, warnings)
    data = doc.data
    if not isinstance(data, dict):
        report.problem(f"document {doc.index + 1} is not a mapping (expected apiVersion, kind, metadata, spec)")
        return None
    raw_kind = data.get("kind")
    metadata = data.get("metadata")
    raw_name = metadata.get("name") if isinstance(metadata, dict) else None
    report.label = f"{raw_kind if isinstance(raw_kind, str) and raw_kind else '?'}/" \
                   f"{raw_name if isinstance(raw_name, str) and raw_name else '?'}"
    if doc.problems:
        for message, loc in doc.problems:
            report.problem(message, loc)
        return None
    kinds = {k.value: k for k in Kind}
    if not isinstance(raw_kind, str) or raw_kind not in kinds:
        expected = ", ".join(kinds)
        message = (f"unknown kind {raw_kind!r}; expected one of {expected}" if raw_kind is not None
                   else f"missing field 'kind'; expected one of {expected}")
        hint = difflib.get_close_matches(str(raw_kind), list(kinds), n=1)
        if hint and raw_kind is not None:
            message += f" (did you mean {hint[0]!r}?)"
        report.problem(message, ("kind",) if raw_kind is not None else ())
        return None
    kind = kinds[raw_kind]
    raw_annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(raw_annotations, dict):  # warned about even when the document has errors
        for annotation, message in annotation_warnings([str(k) for k in raw_annotations], kind):
            report.problem(message, ("metadata", "annotations", annotation), key=True, warning=True)
    try:
        model = specs.document_model(kind).model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            report.problem(_message(kind, error), loc, key=error["type"] == "extra_forbidden")
        return None
    name: str = model.metadata.name  # type: ignore[attr-defined]
    spec: dict[str, Any] = model.spec.model_dump(mode="python", exclude_none=True, exclude_unset=True,  # type: ignore[attr-defined]
                                                 by_alias=True)
    before = len(problems)
    _check_scalars(report, spec)
    for issue in validation.check_manifest(kind, spec):
        report.problem(issue.message, ("spec", *issue.path), warning=issue.warning)
    ks = specs.KIND_SPECS[kind]
    if not re.fullmatch(ks.name_pattern, name):
        report.problem(f"invalid {kind.value} name {name!r}: {ks.name_rule}", ("metadata", "name"))
    annotations = dict(model.metadata.annotations)  # type: ignore[attr-defined]
    for annotation, message in annotation_problems(annotations):
        report.problem(message, ("metadata", "annotations", annotation))
    if len(problems) > before:
        return None
    line, column = doc.position
    return Manifest(kind=kind, name=name, spec=spec, source=SourceRef(file, line, column),
                    labels=dict(model.metadata.labels), annotations=annotations)  # type: ignore[attr-defined]


def _check_scalars(report: _Report, spec: dict[str, Any]) -> None:
    """What YAML typed differently from what AWS gets: a YAML number in a text field must read back as
    written (`1.10`, `0o17`, `017`, `1e3` would not: quote them); true/false only in boolean fields; no
    infinite or NaN numbers anywhere."""
    for loc, text in report.doc.numbers.items():
        if loc[:1] == ("spec",):
            value = _at(spec, loc[1:])
            if isinstance(value, str) and value != text:
                report.problem(f"YAML reads {text} as the number {value}, but this field is text: write "
                               f"'{text}' (quoted) to keep it as written", loc)
    for loc in report.doc.booleans:
        if loc[:1] == ("spec",):
            value = _at(spec, loc[1:])
            if value is not _MISSING and not isinstance(value, bool) and isinstance(value, int | float):
                report.problem("expected a number, got true/false", loc)
    for path, value in _floats(spec, ()):
        if not math.isfinite(value):
            report.problem(f"{value} is not a finite number", ("spec", *path))


_MISSING: Any = object()


def _at(value: Any, path: Loc) -> Any:
    for part in path:
        if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
            continue
        if not (isinstance(value, dict) and part in value):
            return _MISSING
        value = value[part]
    return value


def _floats(value: Any, path: Loc) -> list[tuple[Loc, float]]:
    if isinstance(value, float):
        return [(path, value)]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _floats(v, (*path, k))]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _floats(v, (*path, i))]
    return []


def _message(kind: Kind, error: Any) -> str:
    loc = tuple(error["loc"])
    kind_ = error["type"]
    # Never echo a value inside a user-named entry (environment, options...): its name may say it is secret.
    got = "(sensitive)" if in_user_named_entry(loc) else _short(error.get("input"))
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


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
