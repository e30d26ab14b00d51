"""Resolve the identifiers a manifest gives differently than AWS reports them, where the identifier alone cannot
tell whether they name the same resource (reconciler.planning.identifiers decides everything else): a KMS alias
and the key ARN ECR reports, a Cloud Map namespace name and the namespace ARN ECS reports. Only for the pairs
that differ, so a plan whose identifiers already match makes no extra call."""

from __future__ import annotations

from reconciler.aws.lookups import Lookups
from reconciler.errors import AwsError
from reconciler.loader import ManifestSet
from reconciler.model.live import LiveState
from reconciler.planning import identifiers


def _service_of(arn: str) -> str:
    return arn.split(":", 3)[2] if identifiers.is_arn(arn) else ""


def _lookup(given: str, reported: str, lookups: Lookups) -> tuple[str, frozenset[str]] | None:
    """(ARN, other names it is known by) for the pair, when a read can tell; None when it cannot."""
    services = {_service_of(given), _service_of(reported)} - {""}
    if services == {"kms"}:
        key = reported if ":key/" in reported else lookups.key_arn(reported)
        return (key, frozenset({given} if given != key else set())) if key and lookups.key_arn(given) == key else None
    if services == {"servicediscovery"}:
        arn = reported if identifiers.is_arn(reported) else given
        other = given if arn is reported else reported
        if identifiers.is_arn(other):
            return None
        # A namespace's names are recorded even when they do not match: the plan then shows the change by name.
        return arn, lookups.namespace_names(arn)
    return None


def resolve(state: LiveState, manifests: ManifestSet, lookups: Lookups | None) -> None:
    """Record in `state.aliases` what the manifests call by another name than AWS does; `state.warnings` says
    what could not be resolved and why (e.g. a missing kms:DescribeKey permission)."""
    if lookups is None:
        return
    for m in manifests.manifests:
        current = state.resource(m.key)
        if current is None:
            continue
        for given, reported in identifiers.unresolved(m.kind, current.spec, m.spec, state.aliases):
            try:
                found = _lookup(given, reported, lookups)
            except AwsError as exc:
                state.warnings.append(
                    f"{m.source}: {m.key}: could not tell whether {given!r} is {reported!r} "
                    f"({exc.operation}: {exc.code}: {exc.aws_message}); the difference is shown as a change")
                continue
            if found is not None and found[1]:
                arn, names = found
                state.aliases[arn] = state.aliases.get(arn, frozenset()) | names
