"""Which values are secret: names that look like they hold a password, token or key.

One rule for every place output goes (plan text, JSON and markdown, saved plans, logs, /status, errors,
imported manifests): a value whose name matches is shown as `(sensitive)`, never in clear and never as a
plain hash (a dictionary reverses the hash of a short password). The patterns are matched against the
name's words (`DB_PASSWORD` -> DB, PASSWORD; `apiKey` -> api, Key), case-insensitively, so `KEY` matches
`API_KEY` and `SIGNING_KEY` but not `MONKEY` or `KEYCLOAK_URL`.

Only entries the *user* names are judged by their name: the entries of the free-form name/value fields of
the AWS API (`environment`, `logConfiguration.options`, `dockerLabels`, `driverOpts`, `labels`, proxy
`properties`, `tags`), listed by `user_named_fields()` from the API model itself. Fields the API defines
(`kmsKey`, `executionRoleArn`, `secrets[].valueFrom`...) are never masked because of their name: they hold
references, not secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

# Words that mark a name as secret. A pattern matches one word, or several consecutive words when it holds
# an underscore (`PRIVATE_KEY`). Configurable with --sensitive-pattern (added to these, never replacing them).
DEFAULT_PATTERNS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "SECRETS", "TOKEN", "TOKENS", "KEY", "KEYS", "APIKEY",
    "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE", "AUTH", "AUTHORIZATION", "CERT", "CERTIFICATE", "DSN",
    "SESSION", "COOKIE", "SIGNATURE", "SALT", "PASSPHRASE", "CONNECTION_STRING",
)
# More patterns for one run, separated by commas or spaces (as --sensitive-pattern, added to the defaults).
PATTERNS_ENV = "RECONCILER_SENSITIVE_PATTERNS"
# Tags this product writes (ownership, bookkeeping): never secret, whatever their words (`reconciler:tag-keys`).
OUR_PREFIX = "reconciler:"

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PATTERN = re.compile(r"[A-Za-z0-9]+(?:[_\s-]+[A-Za-z0-9]+)*")


def words(name: str) -> list[str]:
    """`DB_PASSWORD` -> [DB, PASSWORD]; `apiKey` -> [API, KEY]; `X-Auth-Token` -> [X, AUTH, TOKEN]."""
    return [w.upper() for w in _WORDS.findall(name)]


def is_sensitive_name(name: str, patterns: Iterable[str] = DEFAULT_PATTERNS) -> bool:
    return _matches(name, tuple(patterns))


def is_secret_entry(name: str, patterns: Iterable[str] = DEFAULT_PATTERNS) -> bool:
    """Is the value of the user-named entry `name` secret? (Our own `reconciler:` tags never are.)"""
    return not name.startswith(OUR_PREFIX) and _matches(name, tuple(patterns))


@lru_cache(maxsize=8192)
def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    parts = words(name)
    singles, phrases = _compiled(patterns)
    if singles.intersection(parts):
        return True
    return any(parts[i : i + len(p)] == list(p) for p in phrases for i in range(len(parts) - len(p) + 1))


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """The one-word patterns as a set, the others as word tuples."""
    split = [tuple(w for w in re.split(r"[_\s-]+", p.upper()) if w) for p in patterns]
    return frozenset(s[0] for s in split if len(s) == 1), tuple(s for s in split if len(s) > 1)


def configured_patterns(extra: Iterable[str] = (), env: str | None = None) -> tuple[str, ...]:
    """The defaults plus the patterns given (`--sensitive-pattern`) and those in $RECONCILER_SENSITIVE_PATTERNS.
    A pattern is a word, or words joined by `_`, `-` or spaces (`SIGNING_MATERIAL`); ValueError otherwise."""
    given = [*extra, *(p for p in re.split(r"[,\s]+", env or "") if p)]
    out = list(DEFAULT_PATTERNS)
    for raw in given:
        if not _PATTERN.fullmatch(raw.strip()):
            raise ValueError(f"sensitive pattern {raw!r}: expected a word, or words joined by _ (letters and "
                             "digits, e.g. PIN or SIGNING_KEY)")
        canonical = "_".join(w for w in re.split(r"[_\s-]+", raw.strip().upper()) if w)
        if canonical not in out:
            out.append(canonical)
    return tuple(out)


# Members of a name/value pair structure in a list (`KeyValuePair`, ECS `Tag`, ECR `Tag`).
PAIR_NAME_KEYS = ("name", "key", "Key")
PAIR_VALUE_KEYS = ("value", "Value")
PAIR_SHAPES = frozenset({"KeyValuePair", "Tag"})


@cache
def user_named_fields() -> frozenset[str]:
    """Input members whose entries the user names, derived from the API model of every manifest kind:
    string-to-string maps (`dockerLabels`, `options`, `driverOpts`, `labels`) and lists of name/value pairs
    (`environment`, `properties`, `tags`). `tags` is always one (in canonical form it is a map)."""
    from botocore.model import ListShape, MapShape, Shape, StructureShape

    from reconciler.model import shapes
    from reconciler.model.specs import KIND_SPECS

    found: set[str] = {"tags"}

    def walk(shape: Shape, seen: frozenset[str]) -> None:
        if isinstance(shape, StructureShape):
            if shape.name in seen:
                return
            for member, sub in shape.members.items():
                string_map = (isinstance(sub, MapShape) and sub.key.type_name == "string"
                              and sub.value.type_name == "string")
                pairs = isinstance(sub, ListShape) and sub.member.name in PAIR_SHAPES
                if string_map or pairs:
                    found.add(member)
                walk(sub, seen | {shape.name})
        elif isinstance(shape, ListShape):
            walk(shape.member, seen)
        elif isinstance(shape, MapShape):
            walk(shape.value, seen)

    for ks in KIND_SPECS.values():
        walk(shapes.input_shape(ks.service, ks.create_operation), frozenset())
    return frozenset(found)


def in_user_named_entry(loc: Iterable[str | int]) -> bool:
    """Does this field path (`spec.containerDefinitions.0.environment.1.value`) lead to a user-named field or
    into its entries? Error messages do not echo such values: the name that would say whether one is secret
    may not even be on the path."""
    fields = user_named_fields()
    return any(isinstance(part, str) and part in fields for part in loc)
