"""Secret-looking values never reach an imported file: they become `${VAR}` references.

Which values are secret is the product's one rule, the same the plan's masking uses
(`reconciler.model.sensitive`): entries the user names (name/value lists such as `environment`, string maps such
as `logConfiguration.options` or `dockerLabels`, tags; derived from the API model) whose name looks secret.

Each masked value gets a variable name derived from the entry (`WEB_DB_PASSWORD` for `DB_PASSWORD` in container
`web`), unique across one import, so `--var` can hand the values back.

Every other string is escaped for the loader's `${VAR}` substitution (`${HOME}` is written `$${HOME}`), so
that what is read back is exactly what AWS holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from reconciler import variables
from reconciler.importing.document import ImportedDocument, MaskedValue
from reconciler.model.sensitive import DEFAULT_PATTERNS, is_secret_entry, user_named_fields
from reconciler.variables import REFERENCE as VARIABLE

REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$")

HINT = ("move them to `secrets` (valueFrom: a Secrets Manager secret or SSM parameter ARN) so that no secret "
        "is kept in the task definition")


def escape(text: str) -> str:
    """`text` as the loader must read it back literally (every `${` becomes `$${`)."""
    return variables.escape(text)


class SecretVariables:
    """Replaces secrets in one import's documents; `variables` holds the values (for checks, never for output)."""

    def __init__(self, patterns: Iterable[str] = DEFAULT_PATTERNS, *, escape_strings: bool = True) -> None:
        self.patterns = tuple(patterns)
        self.escape_strings = escape_strings
        self.variables: dict[str, str] = {}

    def mask(self, doc: ImportedDocument) -> None:
        doc.spec = self._walk(doc, doc.spec, "spec", owner=None, parent=None)

    # -- walking -----------------------------------------------------------------------------------------
    def _walk(self, doc: ImportedDocument, value: Any, path: str, owner: str | None, parent: str | None) -> Any:
        if isinstance(value, dict):
            if parent in user_named_fields() and parent != "tags":
                return {k: self._entry(doc, k, v, f"{path}[{k}]", owner) for k, v in value.items()}
            return {k: self._walk(doc, v, f"{path}.{k}", self._owner(owner, k, v), k) for k, v in value.items()}
        if isinstance(value, list):
            if parent in user_named_fields():
                return [self._list_entry(doc, item, path, owner, parent) for item in value]
            out = []
            for i, item in enumerate(value):
                label = item.get("name") if isinstance(item, dict) and "name" in item else i
                out.append(self._walk(doc, item, f"{path}[{label}]", self._owner(owner, None, item), parent))
            return out
        return self._literal(value)

    def _owner(self, owner: str | None, key: str | None, value: Any) -> str | None:
        """The container (or volume) an entry belongs to, for variable names."""
        if isinstance(value, dict) and isinstance(value.get("name"), str) and key is None:
            return str(value["name"])
        return owner

    def _list_entry(self, doc: ImportedDocument, item: Any, path: str, owner: str | None,
                    parent: str | None) -> Any:
        if not isinstance(item, dict):
            return self._literal(item)
        name_key, value_key = ("name", "value") if parent != "tags" else (
            ("Key", "Value") if "Key" in item else ("key", "value"))
        name = item.get(name_key)
        if not isinstance(name, str) or value_key not in item:
            return self._walk(doc, item, path, owner, None)
        out = {k: self._literal(v) for k, v in item.items()}
        out[value_key] = self._entry(doc, name, item[value_key], f"{path}[{name}]",
                                     owner if parent != "tags" else "tag")
        return out

    def _entry(self, doc: ImportedDocument, name: str, value: Any, path: str, owner: str | None) -> Any:
        if not isinstance(value, str) or not value or not is_secret_entry(name, self.patterns):
            return self._literal(value)
        if not self.escape_strings and REFERENCE.match(value):
            reference = REFERENCE.match(value)
            assert reference is not None
            if value == f"${{{reference.group(1)}}}":
                return value  # already a variable, not a secret in clear
            variable = reference.group(1)  # a default value that looks secret: drop it, keep the variable
            doc.masked.append(MaskedValue(variable, path))
            return f"${{{variable}}}"
        variable = self._variable(name, owner, value)
        doc.masked.append(MaskedValue(variable, path))
        return f"${{{variable}}}"

    def _literal(self, value: Any) -> Any:
        return escape(value) if self.escape_strings and isinstance(value, str) else value

    def _variable(self, name: str, owner: str | None, value: str) -> str:
        base = _identifier(f"{owner}_{name}" if owner else name)
        candidate, n = base, 1
        while candidate in self.variables and self.variables[candidate] != value:
            n += 1
            candidate = f"{base}_{n}"
        self.variables[candidate] = value
        return candidate


def _identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper() or "SECRET"
    return f"_{name}" if name[0].isdigit() else name


def note_lines(doc: ImportedDocument) -> list[str]:
    """The header comment that lists a document's masked values."""
    if not doc.masked:
        return []
    lines = ["Values that look secret were not written. Pass them with --var NAME=VALUE (or the environment):"]
    lines += [f"  ${{{m.variable}}}  {m.path}" for m in doc.masked]
    lines.append(f"Better: {HINT}.")
    return lines


def required_variables(docs: Iterable[ImportedDocument]) -> list[str]:
    """The variables the documents use without a default: each must be set for plan and apply."""
    found: dict[str, None] = {}
    for doc in docs:
        for text in _strings(doc.spec):
            for match in VARIABLE.finditer(text):
                if not match.group(1) and match.group(3) is None:
                    found[match.group(2)] = None
    return list(found)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value
