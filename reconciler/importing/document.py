"""What an import produces: manifest documents with where they go, plus warnings and secret notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from reconciler.errors import ManifestError, Problem
from reconciler.model import specs
from reconciler.model.keys import Kind
from reconciler.model.manifest import ADOPT_ANNOTATION


@dataclass(frozen=True)
class MaskedValue:
    """A secret-looking value that was not written: `${variable}` stands in its place."""

    variable: str
    path: str  # where in the document, e.g. spec.containerDefinitions[web].environment[DB_PASSWORD]


@dataclass
class ImportedDocument:
    kind: Kind
    name: str
    spec: dict[str, Any]
    path: str  # relative to the output directory, POSIX separators, without the extension
    source: str  # where it came from, for the header comment (an ARN, a file)
    annotations: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)  # extra header comment lines
    masked: list[MaskedValue] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind is Kind.SERVICE:
            return f"{self.kind.value}/{self.spec.get('cluster', 'default')}/{self.name}"
        return f"{self.kind.value}/{self.name}"

    def adopt(self) -> None:
        self.annotations[ADOPT_ANNOTATION] = "true"

    def document(self) -> dict[str, Any]:
        """The manifest document: apiVersion, kind, metadata, spec."""
        metadata: dict[str, Any] = {"name": self.name}
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        return {"apiVersion": "reconciler/v1", "kind": self.kind.value, "metadata": metadata, "spec": self.spec}


@dataclass
class ImportResult:
    documents: list[ImportedDocument] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def warn(self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None,
             document: str | None = None, path: str | None = None) -> None:
        self.warnings.append(Problem(message, file=file, line=line, column=column, document=document, path=path))


def problems(documents: list[ImportedDocument]) -> list[Problem]:
    """What the loader would refuse in these documents (before masking: values are the real ones)."""
    found = []
    for doc in documents:
        try:
            specs.document_model(doc.kind).model_validate(doc.document())
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(p) for p in error["loc"])
                found.append(Problem(f"{error['msg']} (got {error.get('input')!r})", file=doc.source,
                                     document=doc.label, path=path))
    return found


def validate(documents: list[ImportedDocument]) -> None:
    """Every document must load as a manifest; what would not is the input's problem."""
    found = problems(documents)
    if found:
        raise ManifestError(found)
