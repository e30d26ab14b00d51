"""The exception tree of the product. Every error a user can see is one of these.

ReconcilerError                exit code 1
├── ManifestError              bad input: carries every problem found, each with file:line:col
├── AwsError                   an AWS call failed (operation, resource, AWS code and message)
│   └── NotFoundError          the thing asked for does not exist (readers turn it into "absent")
└── SandboxError               the embedded sandbox could not start or was misused

The CLI maps `exit_code` to the process exit status; nothing else decides exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class ReconcilerError(Exception):
    exit_code: ClassVar[int] = 1


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as the loader could."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    document: str | None = None  # e.g. "Service/web"
    path: str | None = None  # field path inside the document, e.g. spec.containerDefinitions[0].image

    def render(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [where]
        if self.document:
            parts.append(self.document)
        if self.path:
            parts.append(self.path)
        return ": ".join(parts) + f": {self.message}"


class ManifestError(ReconcilerError):
    """The manifests cannot be used. `problems` lists all of them, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


class AwsError(ReconcilerError):
    def __init__(self, operation: str, code: str, message: str, resource: str | None = None) -> None:
        self.operation = operation
        self.code = code
        self.aws_message = message
        self.resource = resource
        prefix = f"{resource}: " if resource else ""
        super().__init__(f"{prefix}{operation} failed: {code}: {message}")


class NotFoundError(AwsError):
    pass


class SandboxError(ReconcilerError):
    pass
