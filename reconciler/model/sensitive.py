"""Which values are secret: names that look like they hold a password, token or key.

One rule for every place output goes (plan text, JSON and markdown, saved plans, logs, /status, errors,
imported manifests): a value whose name matches is shown as `(sensitive)`, never in clear and never as a
plain hash (a dictionary reverses the hash of a short password). The patterns are matched against the
name's words (`DB_PASSWORD` -> DB, PASSWORD; `apiKey` -> api, Key), case-insensitively, so `KEY` matches
`API_KEY` and `SIGNING_KEY` but not `MONKEY` or `KEYCLOAK_URL`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words that mark a name as secret. A pattern matches one word, or several consecutive words when it holds
# an underscore (`PRIVATE_KEY`). Configurable with --sensitive-pattern (added to these, never replacing them).
DEFAULT_PATTERNS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "SECRETS", "TOKEN", "TOKENS", "KEY", "KEYS", "APIKEY",
    "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE", "AUTH", "AUTHORIZATION", "CERT", "CERTIFICATE", "DSN",
    "SESSION", "COOKIE", "SIGNATURE", "SALT", "PASSPHRASE", "CONNECTION_STRING",
)

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """`DB_PASSWORD` -> [DB, PASSWORD]; `apiKey` -> [API, KEY]; `X-Auth-Token` -> [X, AUTH, TOKEN]."""
    return [w.upper() for w in _WORDS.findall(name)]


def is_sensitive_name(name: str, patterns: Iterable[str] = DEFAULT_PATTERNS) -> bool:
    parts = words(name)
    for pattern in patterns:
        wanted = [w for w in re.split(r"[_\s-]+", pattern.upper()) if w]
        n = len(wanted)
        if n and any(parts[i : i + n] == wanted for i in range(len(parts) - n + 1)):
            return True
    return False
