"""Secret values kept out of everything the product prints, logs, serves and saves.

Two layers, both in one `Masker`:

- **Structural masking** (the rule is in `reconciler.model.sensitive`): in the fields whose entries the user
  names (`environment`, `logConfiguration.options`, `dockerLabels`, `driverOpts`, `labels`, proxy
  `properties`, `tags`; as maps or as name/value lists), the value of an entry whose name looks secret is
  shown as `(sensitive)`. In a change, a secret that changed reads `(sensitive)` → `(sensitive, changed)`,
  an added one `(sensitive)`, a removed one is shown as removed, and unchanged ones are never listed. Never a
  hash of the value: a dictionary reverses the hash of a short password.
- **Free-text redaction**: the masker knows this run's clear secret values (from the manifests' secret
  entries and secret-named `--var`s) and replaces any occurrence in text: log lines, error messages, AWS
  error messages that echo parameters, outcome messages, and every string of a rendered plan; so are the
  credentials of a URL (`https://user:token@host/...`). Values shorter
  than `MIN_REDACT_LENGTH` are left to structural masking alone: a 2-character "password" would blank out
  ordinary words.

Pure: data in, data out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.model.keys import Kind
from reconciler.model.manifest import Manifest
from reconciler.model.plan import FieldChange, Plan, ResourceChange
from reconciler.model.sensitive import (
    DEFAULT_PATTERNS,
    PAIR_NAME_KEYS,
    PAIR_VALUE_KEYS,
    is_secret_entry,
    user_named_fields,
)

SENSITIVE = "(sensitive)"
CHANGED = "(sensitive, changed)"
MARKERS = (SENSITIVE, CHANGED)
# Known secret values at least this long are redacted from free text (NIST's minimum password length).
MIN_REDACT_LENGTH = 8

_TOKEN = re.compile(r"\[([^\]]*)\]|\.?([^.\[\]]+)")
# Credentials in a URL (`https://user:token@git.example/ops.git`, as a --git URL or a git error echoes it).
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")


@dataclass(frozen=True)
class Masker:
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    known: tuple[str, ...] = ()  # clear secret values and their escaped spellings, longest first

    # --- configuration ----------------------------------------------------------------------------
    def with_patterns(self, patterns: Iterable[str]) -> Masker:
        """More patterns (never fewer: masking more is always safe)."""
        merged = tuple(dict.fromkeys([*self.patterns, *patterns]))
        return self if merged == self.patterns else replace(self, patterns=merged)

    def remember(self, values: Iterable[Any]) -> Masker:
        """Also redact these clear values from free text (those long enough; see MIN_REDACT_LENGTH)."""
        spellings = set(self.known)
        for value in values:
            if not isinstance(value, str) or len(value) < MIN_REDACT_LENGTH:
                continue
            # As printed, as JSON and repr() escape it (a JSON log line, an exception's repr).
            spellings |= {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                          repr(value)[1:-1]}
        known = tuple(sorted(spellings, key=lambda s: (-len(s), s)))
        return self if known == self.known else replace(self, known=known)

    def secret(self, name: Any) -> bool:
        return isinstance(name, str) and is_secret_entry(name, self.patterns)

    # --- free text --------------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """`text` with every known secret value, and the credentials of any URL, replaced by (sensitive)."""
        out = _URL_USERINFO.sub(f"{SENSITIVE}@", text) if "://" in text else text
        for value in self.known:
            if value in out:
                out = out.replace(value, SENSITIVE)
        return text if out == text else out

    # --- values -----------------------------------------------------------------------------------
    def value(self, value: Any) -> Any:
        """Any JSON-like value (a spec, a log event's field, a status document): secret entries masked,
        known secret values redacted from every string."""
        if isinstance(value, Mapping):
            return {k: (self._entries(v) if k in user_named_fields() else self.value(v)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def pair(self, before: Any, after: Any) -> tuple[Any, Any]:
        """Both sides of a change, masked together: a secret that differs reads (sensitive, changed) after."""
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            b: dict[str, Any] = {}
            a: dict[str, Any] = {}
            for key in dict.fromkeys([*before, *after]):
                masked = self._entries_pair if key in user_named_fields() else self.pair
                mb, ma = masked(before.get(key), after.get(key))
                if key in before:
                    b[key] = mb
                if key in after:
                    a[key] = ma
            return b, a
        if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
            pairs = [self.pair(x, y) for x, y in zip(before, after, strict=True)]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        return self.value(before), self.value(after)

    # --- plans ------------------------------------------------------------------------------------
    def field(self, f: FieldChange) -> FieldChange:
        """One field change, by its path (`containerDefinitions[web].environment[DB_PASSWORD]`)."""
        tokens = _tokens(f.path)
        fields = user_named_fields()
        at = next((i for i, (is_key, text) in enumerate(tokens) if not is_key and text in fields), None)
        if at is None:
            before, after = self.pair(f.before, f.after)
        elif at == len(tokens) - 1:  # the whole map or list of entries
            before, after = self._entries_pair(f.before, f.after)
        else:
            rest = tokens[at + 1:]
            name = ".".join(text for _, text in rest)  # map keys may hold dots (`com.example.token`)
            # An index instead of a name (entries kept as a list): the name is not in the path, so mask.
            if rest[0][1].isdigit() or self.secret(name):
                before, after = _leaf(f.before, f.after)
            else:
                before, after = self.value(f.before), self.value(f.after)
        return FieldChange(self.text(f.path), before, after)

    def change(self, change: ResourceChange) -> ResourceChange:
        live, desired = self.pair(change.live, change.desired)
        return replace(change, fields=tuple(self.field(f) for f in change.fields), desired=desired, live=live,
                       reason=self.text(change.reason), blocked=_opt(self, change.blocked),
                       held=_opt(self, change.held))

    def plan(self, plan: Plan) -> Plan:
        return replace(plan, changes=tuple(self.change(c) for c in plan.changes),
                       errors=tuple(self.text(e) for e in plan.errors),
                       warnings=tuple(self.text(w) for w in plan.warnings))

    # --- collecting -------------------------------------------------------------------------------
    def secrets_in(self, value: Any, where: str = "") -> list[tuple[str, str]]:
        """(where, clear value) of every secret entry in `value`, in document order."""
        found: list[tuple[str, str]] = []
        if isinstance(value, Mapping):
            for key, item in value.items():
                here = f"{where}.{key}" if where else str(key)
                if key in user_named_fields():
                    found += [(f"{here}[{n}]", str(v)) for n, v in _entry_map(item) or []
                              if self.secret(n) and v is not None and not isinstance(v, Mapping | list)]
                else:
                    found += self.secrets_in(item, here)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                found += self.secrets_in(item, f"{where}[{i}]")
        return found

    # --- helpers ----------------------------------------------------------------------------------
    def _masked(self, name: Any, value: Any, other: Mapping[Any, Any] | None = None) -> Any:
        """The value of entry `name`; `other` is the before side when this is the after side."""
        if not self.secret(name) or value is None:
            return self.value(value)
        if value in MARKERS:
            return value  # masked already (masking twice keeps "changed")
        if other is not None and name in other and other[name] != value:
            return CHANGED
        return SENSITIVE

    def _entries(self, entries: Any, other: Mapping[Any, Any] | None = None) -> Any:
        """The entries of a user-named field (a map, or a list of name/value pairs)."""
        if isinstance(entries, Mapping):
            return {n: self._masked(n, v, other) for n, v in entries.items()}
        if isinstance(entries, list | tuple):
            out: list[Any] = []
            for item in entries:
                name_key = _name_key(item)
                if name_key is None:
                    out.append(self.value(item))
                    continue
                out.append({k: (self._masked(item[name_key], v, other) if k in PAIR_VALUE_KEYS else self.value(v))
                            for k, v in item.items()})
            return out
        return self.value(entries)

    def _entries_pair(self, before: Any, after: Any) -> tuple[Any, Any]:
        old = _entry_map(before)
        return self._entries(before), self._entries(after, dict(old) if old is not None else None)


def _tokens(path: str) -> list[tuple[bool, str]]:
    """`a.b[k].c` -> [(False, a), (False, b), (True, k), (False, c)] (True: a key or an index)."""
    return [(m.group(1) is not None, m.group(1) if m.group(1) is not None else m.group(2))
            for m in _TOKEN.finditer(path)]


def _leaf(before: Any, after: Any) -> tuple[Any, Any]:
    """A secret entry's own change: added (sensitive), removed (sensitive), changed (sensitive, changed)."""
    b = None if before is None else SENSITIVE
    a = None if after is None else (CHANGED if before is not None and before != after else SENSITIVE)
    return b, a


def _opt(masker: Masker, text: str | None) -> str | None:
    return None if text is None else masker.text(text)


def _name_key(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return None
    return next((k for k in PAIR_NAME_KEYS if k in item), None)


def _entry_map(entries: Any) -> list[tuple[Any, Any]] | None:
    """(name, value) of each entry of a map or a name/value list; None when `entries` is neither."""
    if entries is None:
        return []
    if isinstance(entries, Mapping):
        return list(entries.items())
    if isinstance(entries, list | tuple):
        out = []
        for item in entries:
            name_key = _name_key(item)
            if name_key is None:
                return None
            value_key = next((k for k in PAIR_VALUE_KEYS if k in item), None)
            out.append((item[name_key], item.get(value_key) if value_key else None))
        return out
    return None


# --- the warning: secrets in plain text where AWS has a place for references --------------------------

SECRETS_HINT = "secrets: [{{name: {name}, valueFrom: <Secrets Manager or SSM parameter ARN>}}]"
OPTIONS_HINT = "secretOptions: [{{name: {name}, valueFrom: <Secrets Manager or SSM parameter ARN>}}]"


def plain_secret_warnings(manifests: Iterable[Manifest], patterns: Iterable[str] = DEFAULT_PATTERNS) -> list[str]:
    """One warning per secret-looking entry given in clear where ECS has a reference field for it: container
    `environment` (use `secrets`), RunTask override `environment` (use the task definition's `secrets`), and
    `logConfiguration.options` (use `secretOptions`)."""
    masker = Masker(tuple(patterns))
    out: list[str] = []
    for m in manifests:
        where = f"{m.source}: {m.key}"
        if m.kind is Kind.TASK_DEFINITION:
            for container in m.spec.get("containerDefinitions") or []:
                cname = container.get("name", "?")
                for name, _ in _entry_map(container.get("environment")) or []:
                    if masker.secret(name):
                        out.append(f"{where}: container {cname}: environment variable {name} looks secret, and "
                                   "environment values are stored in clear in the task definition (anyone who "
                                   f"can describe it reads them); use {SECRETS_HINT.format(name=name)} instead")
                options = (container.get("logConfiguration") or {}).get("options") or {}
                for name in options:
                    if masker.secret(name):
                        out.append(f"{where}: container {cname}: log option {name} looks secret, and "
                                   "logConfiguration.options are stored in clear in the task definition; use "
                                   f"logConfiguration.{OPTIONS_HINT.format(name=name)} instead")
        elif m.kind is Kind.TASK:
            for container in (m.spec.get("overrides") or {}).get("containerOverrides") or []:
                cname = container.get("name", "?")
                for name, _ in _entry_map(container.get("environment")) or []:
                    if masker.secret(name):
                        out.append(f"{where}: container override {cname}: environment variable {name} looks "
                                   "secret, and RunTask overrides are stored in clear on the task (DescribeTasks "
                                   "shows them); give it in the task definition as "
                                   f"{SECRETS_HINT.format(name=name)} instead")
    return out


def secret_values(manifests: Iterable[Manifest], masker: Masker) -> list[str]:
    """The clear values of every secret entry in the manifests (to redact from free text)."""
    return [value for m in manifests for _, value in masker.secrets_in(m.spec)]
