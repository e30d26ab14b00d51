"""The exception tree of the product. Every error a user can see is one of these.

ReconcilerError                exit code 1
├── ManifestError              bad input: carries every problem found, each with file:line:col
├── AwsError                   an AWS call failed (operation, resource, AWS code and message)
│   └── NotFoundError          the thing asked for does not exist (readers turn it into "absent")
├── SandboxError               the embedded sandbox could not start or was misused
├── LockHeldError              exit code 3: another writer holds the lock (who, since when, which lock)
└── LockLostError              our lease expired or was taken over while we acted (fencing)

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
    """The manifests cannot be used. `problems` lists all of them, not only the first; `warnings` what was
    found besides (e.g. an unknown annotation), which alone would not stop anything."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.problems = problems
        self.warnings = list(warnings or [])
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


class LockHeldError(ReconcilerError):
    """Another writer holds the lock. The message names the holder, since when, and the lock (table/key or file)."""

    exit_code: ClassVar[int] = 3

    def __init__(self, message: str, *, lock: str | None = None, holder: str | None = None,
                 since: str | None = None) -> None:
        self.lock = lock
        self.holder = holder
        self.since = since
        super().__init__(message)


class LockLostError(ReconcilerError):
    """We no longer hold the lock we act under: the lease expired or another writer took it over."""

    def __init__(self, message: str, *, lock: str | None = None) -> None:
        self.lock = lock
        super().__init__(message)
