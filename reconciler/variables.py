"""`${VAR}` and `${VAR:-default}` substitution in manifest string values.

Variables come from `--var KEY=VALUE` first, then the environment. An unset variable without a default
is an error, never an empty string. `$${...}` stands for a literal `${...}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PATTERN = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class UnsetVariableError(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"variable ${{{name}}} is not set and has no default (use ${{{name}:-default}})")


def substitute(text: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]
        if name in variables:
            return variables[name]
        if default is not None:
            return default
        raise UnsetVariableError(name)

    return _PATTERN.sub(replace, text)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """Parse `--var KEY=VALUE` arguments."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"--var expects KEY=VALUE, got {item!r}")
        out[key] = value
    return out
