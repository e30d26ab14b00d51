"""What a person must know, as events: one per change of state, none for a pass that changed nothing.
The transitions that emit:

- `sync.applied`: a pass applied changes (with the git commit and the resources).
- `drift.corrected`: a resync (retry, or "sync now") pass on the same commit applied changes: someone changed
  AWS outside git.
- `sync.failed`: a pass failed (bad manifests, a plan error, an apply failure) with other errors than the
  last announced; `sync.recovered`: the first pass without errors after it.
- `rollout.completed`, `rollout.failed`, `rollout.rolledBack`: a rollout the controller followed ended so.
- `resource.held`: a resource became held (or is held for another reason): a failed revision or one-off
  task that is not retried until its manifest changes.
- `aws.unreachable`: a pass could not reach AWS (connection, timeout, credentials); `aws.recovered`: the
  first pass that could again.

A no-op resync finds the same state and emits nothing. The same bookkeeping gives each git commit one status
at a time (pending, success, failure, error) for GitHub's commit statuses, posted only when it changes.
Events are built from the masked pass summary and status rows the loop publishes; nothing here reads AWS.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.controller.state import iso
from reconciler.errors import AwsError
from reconciler.rollouts.observe import Phase, short_revision
from reconciler.rollouts.wait import RolloutResult

# Errors that mean AWS could not be reached (or would not talk to us), rather than that it refused a request.
UNREACHABLE_CODES = frozenset({
    "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError",
    "ProxyConnectionError", "SSLError", "HTTPClientError", "ConnectionError", "NoCredentialsError",
    "PartialCredentialsError", "CredentialRetrievalError", "TokenRetrievalError", "SSOTokenLoadError",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken",
    "RequestExpired", "InvalidSignatureException", "SignatureDoesNotMatch",
})
HELD = "held"
RESOURCES_LISTED = 100  # resources named in one event's details (and `count`: how many in all)


def unreachable(exc: BaseException) -> bool:
    return isinstance(exc, AwsError) and exc.code in UNREACHABLE_CODES


@dataclass(frozen=True)
class CommitStatus:
    sha: str
    state: str  # pending | success | failure | error (GitHub's commit status states)
    description: str


def event(kind: str, severity: str, title: str, message: str = "", *, resource: str | None = None,
          commit: str | None = None, source: str = "", details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "severity": severity, "title": title, "time": iso(time.time())}
    if message:
        out["message"] = message
    if resource:
        out["resource"] = resource
    if commit:
        out["commit"] = commit
    if source:
        out["source"] = source
    if details:
        out["details"] = dict(details)
    return out


class Transitions:
    """The last announced state; each call returns the events its news makes (often none)."""

    def __init__(self, source: str = "") -> None:
        self.source = source
        self.held: dict[str, str] = {}  # resource -> the reason announced
        self.errors: tuple[str, ...] = ()  # the errors of the last failed pass announced
        self.aws_down: str | None = None
        self.commit: str | None = None
        self.failures: dict[str, str] = {}  # rollouts of the current commit that failed (and not since succeeded)
        self.posted: CommitStatus | None = None

    def after_pass(self, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *,
                   revision: str | None, corrected: bool, failing: Sequence[str] = ()) -> list[dict[str, Any]]:
        """`failing`: resources whose last apply failed and that wait for a retry (a pass that holds them back
        is not a recovery)."""
        self._at(revision)
        out: list[dict[str, Any]] = []

        def add(kind: str, severity: str, title: str, message: str = "", **kw: Any) -> None:
            out.append(event(kind, severity, title, message, commit=revision, source=self.source, **kw))

        down = summary.get("awsUnreachable")
        if down:
            if self.aws_down is None:
                add("aws.unreachable", "error", "The controller cannot reach AWS", str(down))
            self.aws_down = str(down)
            return out  # nothing else is known about this pass
        if summary.get("awsReachable") and self.aws_down is not None:
            add("aws.recovered", "info", "The controller reaches AWS again")
            self.aws_down = None

        applied = [str(r) for r in summary.get("appliedResources") or ()]
        if applied:
            n = len(applied)
            named = ", ".join(applied[:10]) + (f" and {n - 10} more" if n > 10 else "")
            details = {"resources": applied[:RESOURCES_LISTED], "count": n, "trigger": summary.get("trigger")}
            if corrected:
                add("drift.corrected", "warning", f"Corrected drift on {n} resource{'s' * (n != 1)}",
                    f"changed in AWS outside git: {named}", details=details)
            else:
                add("sync.applied", "info", f"Applied {n} change{'s' * (n != 1)}", named, details=details)

        errors = tuple(str(e) for e in summary.get("errors") or ()) if summary.get("result") == "error" else ()
        errors = tuple(sorted({*errors, *failing}))  # (as a set: the order of a pass's outcomes may vary)
        if errors:
            if errors != self.errors:
                add("sync.failed", "error", "The pass failed" + (" at loading: nothing was applied"
                                                                 if summary.get("stage") == "load" else ""),
                    errors[0], details={"errors": list(errors[:20]), "trigger": summary.get("trigger")})
            self.errors = errors
        elif self.errors:
            add("sync.recovered", "info", "The pass succeeded again")
            self.errors = ()

        held = {f"{r.get('kind')}/{r.get('name')}": r for r in rows if r.get("sync") == HELD}
        for resource, row in held.items():
            why = str(row.get("detail") or "")
            if self.held.get(resource) != why:
                add("resource.held", "warning", "Held: not applied until its manifest changes", why,
                    resource=resource, details={"failure": row["failure"]} if row.get("failure") else None)
        self.held = {resource: str(row.get("detail") or "") for resource, row in held.items()}
        return out

    def _at(self, revision: str | None) -> None:
        if revision != self.commit:
            self.commit, self.failures = revision, {}

    def rollout_settled(self, result: RolloutResult, revision: str | None) -> list[dict[str, Any]]:
        self._at(revision)
        resource = str(result.key)
        wanted = short_revision(result.task_definition) if result.task_definition else ""
        message = result.message
        if result.ok:
            kind, severity, title = "rollout.completed", "info", f"Rolled out {wanted}".rstrip()
            message = message.removeprefix(f"{wanted}: ")
        elif result.phase is Phase.ROLLED_BACK:
            kind, severity, title = "rollout.rolledBack", "error", "The rollout failed and was rolled back"
        else:
            kind, severity, title = "rollout.failed", "error", "The rollout failed"
        if result.ok:
            self.failures.pop(resource, None)
        else:
            self.failures[resource] = result.message
        return [event(kind, severity, title, message, resource=resource, commit=revision, source=self.source)]

    def commit_status(self, pending: Sequence[str]) -> CommitStatus | None:
        """The current commit's status, when it differs from the one posted last (else None)."""
        if self.commit is None:
            return None
        if self.aws_down is not None:
            state, description = "error", f"cannot reach AWS: {self.aws_down}"
        elif self.errors:
            state, description = "failure", self.errors[0]
        elif self.failures:
            state, description = "failure", next(iter(self.failures.values()))
        elif pending:
            state, description = "pending", "rolling out " + ", ".join(sorted(pending))
        else:
            state, description = "success", "applied: AWS matches this commit"
        status = CommitStatus(self.commit, state, description)
        if status == self.posted:
            return None
        self.posted = status
        return status
