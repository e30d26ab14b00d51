"""Read-only lookups that tell whether two identifiers name the same resource, where the identifier alone cannot:
a KMS alias (or key id, or alias ARN) and the key ARN AWS reports; a Cloud Map namespace name and the namespace
ARN AWS reports. Made only when a plan needs them (reconciler.live.identities), each at most once per plan.

Needs `kms:DescribeKey` and `servicediscovery:GetNamespace` (read-only). Without them the plan says so and shows
the difference it could not explain.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws.errors import call
from reconciler.errors import AwsError

# A namespace's id never changes its name: remembered for the life of the process.
_NAMESPACE_NAMES: dict[str, frozenset[str]] = {}


class Lookups:
    """Lazily created read-only clients from the connection's session (`clients.client(name)`)."""

    def __init__(self, clients: Any) -> None:
        self._clients = clients
        self._made: dict[str, Any] = {}
        self._keys: dict[str, str | None] = {}

    def client(self, service: str) -> Any:
        """The read-only client for `service` ("kms", "servicediscovery"), made on first use."""
        if service not in self._made:
            self._made[service] = self._clients.client(service)
        return self._made[service]

    @property
    def used(self) -> tuple[str, ...]:
        """The services this plan had to ask (none when every identifier matched as given)."""
        return tuple(sorted(self._made))

    def key_arn(self, key: str) -> str | None:
        """The ARN of the KMS key that `key` (an alias name or ARN, a key id or ARN) designates; None if none."""
        if key not in self._keys:
            try:
                out = call(self.client("kms").describe_key, f"KMS key {key}", KeyId=key)
            except AwsError as exc:
                if exc.code != "NotFoundException":
                    raise
                self._keys[key] = None
            else:
                self._keys[key] = str(out["KeyMetadata"]["Arn"])
        return self._keys[key]

    def namespace_names(self, arn: str) -> frozenset[str]:
        """The names of the Cloud Map namespace `arn` (its name and, for HTTP namespaces, its HTTP name)."""
        if arn not in _NAMESPACE_NAMES:
            namespace_id = arn.rsplit("/", 1)[-1]
            try:
                out = call(self.client("servicediscovery").get_namespace, f"Cloud Map namespace {arn}",
                           Id=namespace_id)
            except AwsError as exc:
                if exc.code != "NamespaceNotFound":
                    raise
                return frozenset()
            namespace = out.get("Namespace", {})
            names = {namespace.get("Name"), namespace.get("Properties", {}).get("HttpProperties", {}).get("HttpName")}
            _NAMESPACE_NAMES[arn] = frozenset(n for n in names if n)
        return _NAMESPACE_NAMES[arn]
