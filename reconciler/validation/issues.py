"""What a validation rule reports: a message at a path inside the spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    message: str
    path: Path = ()  # inside `spec`, e.g. ("containerDefinitions", 0, "memory")
    warning: bool = False  # worth knowing, but AWS accepts it


Rule = Callable[[dict[str, Any]], list[Issue]]


def items(spec: dict[str, Any], member: str) -> list[tuple[Path, dict[str, Any]]]:
    """(path, item) for the mappings in the list `spec[member]`."""
    return [((member, i), item) for i, item in enumerate(spec.get(member) or []) if isinstance(item, dict)]


def aws_prefixed(text: str) -> bool:
    return text[:4].lower() == "aws:"


def tag_rules(spec: dict[str, Any], key_member: str, member: str = "tags") -> list[Issue]:
    """Tags (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html): each key unique; keys
    may not start with aws: ("reserved for AWS use")."""
    out, seen = [], set()
    for path, tag in items(spec, member):
        key = str(tag.get(key_member, ""))
        if aws_prefixed(key):
            out.append(Issue(f"tag key {key!r}: the aws: prefix is reserved for AWS", (*path, key_member)))
        elif key in seen:
            out.append(Issue(f"duplicate tag key {key!r}", (*path, key_member)))
        seen.add(key)
    return out
