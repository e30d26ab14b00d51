"""`${VAR}` and `${VAR:-default}` substitution in manifest string values, from an allowlist.

A manifest comes from git, so it must not be able to read whatever the process environment holds
(`${AWS_SECRET_ACCESS_KEY}` would plan the runner's key into a task definition and print it in a pull
request comment). A variable's value comes from:

1. `--var KEY=VALUE` (always allowed: the operator named it);
2. the environment, only when the name is allowed: by the defaults (`DEFAULT_ALLOW_ENV`), by
   `--allow-env PATTERN` or by `$RECONCILER_ALLOW_ENV` (comma-separated patterns). A pattern is a name
   or a shell-style glob (`APP_*`). A name that looks secret (`is_sensitive_name`: `..._KEY`, `..._TOKEN`,
   `...PASSWORD`, ...) is never matched by a glob: it is read only when a pattern names it exactly.
3. otherwise the `:-default`, or an error when there is none.

A variable that is set in the environment but not allowed is an error even when the manifest gives a
default: silently taking the default would apply something else than what the operator's environment
says. The error names the variable and both ways to allow it. `$${...}` stands for a literal `${...}`;
any other `${` that is not a valid reference is an error (as Docker Compose does), never passed on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from reconciler.model.sensitive import is_sensitive_name

# Not secret, and what nearly every manifest needs: the region and account in ARNs and ECR image URIs,
# and the image tag a CI build sets. Everything else: --var, --allow-env or $RECONCILER_ALLOW_ENV.
DEFAULT_ALLOW_ENV: tuple[str, ...] = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCOUNT_ID", "IMAGE_TAG", "*_IMAGE_TAG")
ALLOW_ENV_VARIABLE = "RECONCILER_ALLOW_ENV"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(r"\$\$\{|\$\{(" + _NAME + r")(?::-([^}]*))?\}|\$\{")
_PATTERN_CHARS = re.compile(r"[A-Za-z0-9_*?]+")
# A well-formed reference, for tools that read manifests (import): group 1 is the `$` of an escaped `$${...}`,
# group 2 the name, group 3 the default.
REFERENCE = re.compile(r"\$(\$)?\{(" + _NAME + r")(?::-([^}]*))?\}")


def escape(text: str) -> str:
    """`text` written so that substitution reads it back literally: every `${` becomes `$${`."""
    return text.replace("${", "$${")


class VariableError(ValueError):
    """A `${...}` that cannot be substituted; the message says why and what to do."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


class UnsetVariableError(VariableError):
    def __init__(self, name: str) -> None:
        super().__init__(name, f"variable ${{{name}}} is not set and has no default (use --var {name}=VALUE, or "
                               f"${{{name}:-default}})")


class NotAllowedError(VariableError):
    def __init__(self, name: str) -> None:
        exact = " (a name that looks secret is only read when named exactly)" if is_sensitive_name(name) else ""
        super().__init__(name, f"variable ${{{name}}} is set in the environment, but manifests may not read it: "
                               f"pass --var {name}=VALUE, or allow it with --allow-env {name} (or "
                               f"{ALLOW_ENV_VARIABLE}={name}){exact}")


def check_patterns(patterns: Iterable[str]) -> list[str]:
    """The patterns, stripped; ValueError naming the first one that is not a name or a glob of one."""
    out = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        if not _PATTERN_CHARS.fullmatch(pattern):
            raise ValueError(f"--allow-env expects a variable name or a glob such as APP_*, got {pattern!r}")
        out.append(pattern)
    return out


def split_patterns(text: str) -> list[str]:
    return check_patterns(text.replace(",", " ").split())


@dataclass(frozen=True)
class Variables:
    """Where `${NAME}` values come from: `given` (--var), else `environ` when `allow` lets the name through."""

    given: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    allow: tuple[str, ...] = DEFAULT_ALLOW_ENV

    @classmethod
    def from_process(cls, given: Mapping[str, str] | None = None, allow_env: Iterable[str] = ()) -> Variables:
        """--var values, this process's environment, and the defaults + $RECONCILER_ALLOW_ENV + --allow-env."""
        extra = [*split_patterns(os.environ.get(ALLOW_ENV_VARIABLE, "")),
                 *(p for item in allow_env for p in check_patterns(item.split(",")))]
        return cls(dict(given or {}), dict(os.environ), (*DEFAULT_ALLOW_ENV, *extra))

    @property
    def extra_allow(self) -> tuple[str, ...]:
        """The patterns beyond the defaults."""
        return tuple(p for p in self.allow if p not in DEFAULT_ALLOW_ENV)

    def allowed(self, name: str) -> bool:
        for pattern in self.allow:
            if pattern == name:
                return True
            if any(c in pattern for c in "*?") and fnmatchcase(name, pattern) and not is_sensitive_name(name):
                return True
        return False

    def lookup(self, name: str) -> str | None:
        """The value of `name`, None when it has none; NotAllowedError when only a forbidden source has it."""
        if name in self.given:
            return self.given[name]
        if name in self.environ:
            if self.allowed(name):
                return self.environ[name]
            raise NotAllowedError(name)
        return None

    def substitute(self, text: str, used: dict[str, str] | None = None) -> str:
        """`text` with every `${NAME}` / `${NAME:-default}` replaced; `used` collects the values read."""
        if "$" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            whole, name, default = match.group(0), match.group(1), match.group(2)
            if whole == "$${":
                return "${"
            if name is None:
                end = text.find("}", match.start(), match.start() + 40)
                shown = text[match.start(): end + 1] if end >= 0 else text[match.start(): match.start() + 12] + "…"
                raise VariableError("", f"{shown!r} is not a variable reference: write ${{NAME}} or "
                                        "${NAME:-default}, or $${...} for a literal ${...}")
            value = self.lookup(name)
            if value is None:
                if default is None:
                    raise UnsetVariableError(name)
                return default
            if used is not None:
                used[name] = value
            return value

        return _REFERENCE.sub(replace, text)


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Substitute from `variables` only (no environment)."""
    return Variables(given=variables, environ={}, allow=()).substitute(text)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """Parse `--var KEY=VALUE` arguments."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(_NAME, key):
            raise ValueError(f"--var expects KEY=VALUE, got {item!r}")
        out[key] = value
    return out
